import { createSecretKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type Algorithm, minSecretBytes } from '../algorithms.ts';
import type { TrustedKey } from './trusted-key.ts';

/**
 * Where an HMAC secret comes from: a literal value (e.g. after `${ENV}` interpolation in the
 * config file), an environment variable, or a file. `encoding` says how to turn text into bytes.
 */
export type SecretOption =
  | string
  | {
      readonly value?: string;
      readonly env?: string;
      readonly file?: string;
      readonly encoding?: 'utf8' | 'base64' | 'base64url' | 'hex';
    };

const HOW_TO = 'use at least 32 random bytes, for example: export SECRET_KEY="$(openssl rand -base64 48)"';

/**
 * Loads a secret and enforces RFC 7518 3.2 / RFC 8725 3.5: never empty, never shorter than the
 * hash of the strongest HS algorithm allowed. Returns a problem string instead of throwing so
 * the caller can name the option path.
 */
export function loadSecret(
  option: SecretOption,
  algorithms: readonly Algorithm[],
  env: Readonly<Record<string, string | undefined>>,
): TrustedKey | string {
  const spec = typeof option === 'string' ? { value: option } : option;
  const sources = [spec.value, spec.env, spec.file].filter((v) => v !== undefined).length;
  if (sources !== 1) return 'give exactly one of value, env or file';
  let text: string;
  let origin: string;
  if (spec.env !== undefined) {
    text = env[spec.env] ?? '';
    origin = `environment variable ${spec.env}`;
  } else if (spec.file !== undefined) {
    try {
      text = readFileSync(spec.file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      return `cannot read secret file ${spec.file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
    }
    origin = `file ${spec.file}`;
  } else {
    text = spec.value ?? '';
    origin = 'value';
  }
  if (text.length === 0) return `the secret from ${origin} is empty; ${HOW_TO}`;
  // Leading whitespace and JWKs whose "kty" is not the first member (sorted JWKS output) count too.
  if (/^\s*-----BEGIN |^\s*\{[\s\S]*"kty"\s*:/.test(text)) {
    // RS256->HS256 confusion starts with a public key used as an HMAC secret.
    return `the secret from ${origin} looks like a key, not a shared secret; configure keys for asymmetric algorithms`;
  }
  const bytes = Buffer.from(text, spec.encoding ?? 'utf8');
  const needed = Math.max(0, ...algorithms.map(minSecretBytes));
  if (bytes.length < needed) {
    return `the secret from ${origin} has ${bytes.length} bytes; ${algorithms.join('/')} needs at least ${needed}: ${HOW_TO}`;
  }
  return {
    kid: undefined,
    anyKid: true,
    kind: 'oct',
    curve: undefined,
    alg: undefined,
    key: createSecretKey(bytes),
    bytes: bytes.length,
  };
}
