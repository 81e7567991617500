import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type TrustedKey, trustJwk, trustPublicKey } from './trusted-key.ts';

/** Keys given in configuration: an inline JWKS, a JWKS file, or PEM / JWK files. */
export interface StaticKeysOption {
  readonly jwks?: { readonly keys: readonly unknown[] };
  readonly jwksFile?: string;
  /** Each file holds one PEM public key or certificate, or one JWK as JSON. */
  readonly files?: readonly string[];
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function importKeyText(text: string, anyKid: boolean): TrustedKey | string {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let jwk: unknown;
    try {
      jwk = JSON.parse(trimmed);
    } catch {
      return 'is neither PEM nor JSON';
    }
    return trustJwk(jwk, { anyKid });
  }
  try {
    // node:crypto reads SPKI, PKCS#1 and X.509 certificates; from a private key it derives the public one.
    return trustPublicKey(createPublicKey(trimmed), { anyKid });
  } catch {
    return 'is not a PEM public key or certificate';
  }
}

/** Loads every configured key; any unusable key is an error naming it (configuration must be exact). */
export function loadStaticKeys(option: StaticKeysOption): TrustedKey[] {
  const keys: TrustedKey[] = [];
  const jwksList: [string, unknown][] = [];
  if (option.jwks) jwksList.push(['jwks', option.jwks]);
  if (option.jwksFile) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readText(option.jwksFile));
    } catch (err) {
      throw new Error(err instanceof SyntaxError ? `${option.jwksFile} is not JSON` : (err as Error).message);
    }
    jwksList.push([option.jwksFile, parsed]);
  }
  for (const [where, jwks] of jwksList) {
    const list = (jwks as { keys?: unknown })?.keys;
    if (!Array.isArray(list)) throw new Error(`${where} has no "keys" array`);
    list.forEach((jwk, i) => {
      const key = trustJwk(jwk);
      if (typeof key === 'string') throw new Error(`${where} key ${i}: ${key}`);
      keys.push(key);
    });
  }
  const files = option.files ?? [];
  for (const file of files) {
    // A single configured key file verifies whatever kid a token names, as a single key does in jose.
    const key = importKeyText(readText(file), files.length === 1 && jwksList.length === 0);
    if (typeof key === 'string') throw new Error(`${file} ${key}`);
    keys.push(key);
  }
  if (keys.length === 0) throw new Error('no keys configured');
  return keys;
}
