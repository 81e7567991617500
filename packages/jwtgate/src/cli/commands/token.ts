import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  ALGORITHMS,
  type Algorithm,
  createVerifier,
  type JwtGateError,
  type ProviderOptions,
  toJwtGateError,
  type VerifiedToken,
} from '@jwtgate/verify';
import type { Command } from 'commander';
import {
  type CryptoKey,
  decodeJwt,
  decodeProtectedHeader,
  importJWK,
  importPKCS8,
  type JWK,
  SignJWT,
} from 'jose';
import { explainSteps, formatSteps } from '../explain-steps.ts';
import { type FlagNames, nameFlag } from '../name-flags.ts';
import { algorithm, algorithms, claimPair, collect, duration, leeway } from '../parse-value.ts';
import { readToken } from '../read-input.ts';
import { bad, bold, describeTime, dim, ok, paint, printJson } from '../terminal.ts';
import { exactlyOne, UsageError } from '../usage-error.ts';

const TIME_CLAIMS = ['iat', 'nbf', 'exp'] as const;

/** Header and claims without any check; throws a clear message when the input is not a JWS. */
function decodeUnverified(token: string): {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
} {
  if (token.split('.').length !== 3) {
    throw new Error(
      `not a JWT: expected three base64url segments separated by dots, found ${token.split('.').length}`,
    );
  }
  try {
    return { header: decodeProtectedHeader(token), claims: decodeJwt(token) };
  } catch (err) {
    throw new Error(`not a JWT: ${(err as Error).message}`);
  }
}

function timesOf(claims: Record<string, unknown>, nowMs: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of TIME_CLAIMS)
    if (claims[name] !== undefined) out[name] = describeTime(claims[name], nowMs);
  return out;
}

function indentJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/^/gm, '  ');
}

/** What the token says about itself, to compare with the expectations (a hint, never a check). */
function summarize(token: string): string {
  try {
    const { header, claims } = decodeUnverified(token);
    const parts = [`alg ${header.alg}`, `kid ${header.kid ?? '-'}`, `iss ${claims.iss ?? '-'}`];
    parts.push(`aud ${JSON.stringify(claims.aud ?? null)}`);
    if (claims.exp !== undefined) parts.push(`exp ${describeTime(claims.exp)}`);
    return dim(`token says (unverified): ${parts.join(', ')}\n`);
  } catch {
    return '';
  }
}

/** The provider `token verify` checks against, from its key-source options. */
function providerFrom(opts: Record<string, unknown>): ProviderOptions {
  const source = exactlyOne(
    opts,
    ['secret', 'secretEnv', 'secretFile', 'jwksFile', 'jwksUrl', 'issuerUrl'] as const,
    '--secret, --secret-env, --secret-file, --jwks-file, --jwks-url, --issuer-url',
  );
  const issuerUrl = opts.issuerUrl as string | undefined;
  const iss = (opts.iss as string | undefined) ?? issuerUrl;
  if (iss === undefined) throw new UsageError('--iss is required (the exact iss the token must carry)');
  if (issuerUrl !== undefined && iss !== issuerUrl) {
    throw new UsageError('--iss and --issuer-url differ; discovery needs the issuer URL to be the iss');
  }
  const aud = opts.aud as string[] | undefined;
  if (!aud?.length) throw new UsageError('--aud is required (an audience the token must name)');
  let keySource: Partial<ProviderOptions> = {};
  if (source === 'secret') keySource = { secret: { value: opts.secret as string } };
  else if (source === 'secretEnv') keySource = { secret: { env: opts.secretEnv as string } };
  else if (source === 'secretFile') keySource = { secret: { file: opts.secretFile as string } };
  else if (source === 'jwksUrl') keySource = { jwksUri: opts.jwksUrl as string };
  else if (source === 'jwksFile') {
    const file = opts.jwksFile as string;
    let isJwks = false;
    try {
      isJwks = Array.isArray((JSON.parse(readFileSync(file, 'utf8')) as { keys?: unknown }).keys);
    } catch {
      // PEM, a single JWK, or unreadable: the verifier names the problem.
    }
    keySource = { keys: isJwks ? { jwksFile: file } : { files: [file] } };
  }
  const symmetric = source.startsWith('secret');
  // No alg is ever taken from the token: without --alg, HS256 for a secret, every asymmetric one for keys
  // (a key still only verifies the algorithms of its own type).
  const algs =
    (opts.alg as Algorithm[] | undefined) ??
    (symmetric
      ? (['HS256'] as Algorithm[])
      : (Object.keys(ALGORITHMS) as Algorithm[]).filter((a) => ALGORITHMS[a].kind !== 'oct'));
  return {
    issuer: iss,
    audiences: aud,
    algorithms: algs,
    ...keySource,
    ...(opts.typ ? { tokenTypes: opts.typ as string[] } : {}),
    ...(opts.leeway !== undefined ? { leewaySeconds: opts.leeway as number } : {}),
    ...(opts.requireSub ? { requireSub: true } : {}),
    ...(opts.allowHttp ? { remote: { allowHttp: true } } : {}),
  };
}

/** The verifier's option paths, and the flags of `token verify` that set them. */
function verifierFlags(opts: Record<string, unknown>): FlagNames {
  const p = 'options.providers.token';
  const secret = ['secret', 'secretEnv', 'secretFile'].find((k) => opts[k] !== undefined);
  return {
    [`${p}.secret`]:
      secret === 'secretEnv' ? '--secret-env' : secret === 'secretFile' ? '--secret-file' : '--secret',
    [`${p}.jwksUri`]: '--jwks-url',
    [`${p}.keys`]: '--jwks-file',
    [`${p}.issuer`]: opts.issuerUrl !== undefined ? '--issuer-url' : '--iss',
    [`${p}.audiences`]: '--aud',
    [`${p}.algorithms`]: '--alg',
    [`${p}.tokenTypes`]: '--typ',
    [`${p}.leewaySeconds`]: '--leeway',
    [`${p}.remote`]: '--allow-http',
  };
}

/** Reads the signing key for `token mint`: an HMAC secret, or a private PEM (PKCS#8) or JWK. */
async function signingKey(
  opts: Record<string, unknown>,
): Promise<{ key: Uint8Array | CryptoKey; alg: string; kid?: string }> {
  const source = exactlyOne(
    opts,
    ['secretEnv', 'secretFile', 'keyFile'] as const,
    '--secret-env, --secret-file, --key-file',
  );
  if (source !== 'keyFile') {
    const alg = (opts.alg as string | undefined) ?? 'HS256';
    if (ALGORITHMS[alg as Algorithm]?.kind !== 'oct')
      throw new UsageError(`a secret signs HS256, HS384 or HS512, not ${alg}`);
    const text =
      source === 'secretEnv'
        ? (process.env[opts.secretEnv as string] ?? '')
        : readFileSync(opts.secretFile as string, 'utf8').replace(/\r?\n$/, '');
    if (text === '')
      throw new UsageError(
        `the secret from ${source === 'secretEnv' ? `$${opts.secretEnv}` : opts.secretFile} is empty`,
      );
    return { key: new TextEncoder().encode(text), alg };
  }
  const text = readFileSync(opts.keyFile as string, 'utf8').trim();
  if (text.startsWith('{')) {
    const jwk = JSON.parse(text) as JWK;
    if (jwk.d === undefined)
      throw new UsageError(`${opts.keyFile} is a public key; minting needs the private key`);
    const alg =
      (opts.alg as string | undefined) ??
      jwk.alg ??
      { EC: 'ES256', OKP: 'EdDSA', RSA: 'RS256' }[jwk.kty as string];
    if (alg === undefined) throw new UsageError('give --alg');
    return { key: (await importJWK(jwk, alg)) as CryptoKey, alg, ...(jwk.kid ? { kid: jwk.kid } : {}) };
  }
  const alg = opts.alg as string | undefined;
  if (alg === undefined) throw new UsageError('give --alg for a PEM key');
  return { key: await importPKCS8(text, alg), alg };
}

/** Registers `jwtgate token decode|verify|mint`. */
export function registerTokenCommands(program: Command): void {
  const token = program
    .command('token')
    .description('inspect, check and (for development) create single tokens');

  token
    .command('decode')
    .description('print the header and claims of a token WITHOUT verifying it')
    .argument('[token]', 'the token; - reads standard input')
    .option('--token-file <file>', 'read the token from a file')
    .option('--json', 'print JSON', false)
    .addHelpText(
      'after',
      '\nNothing is verified: anyone can write any claims into an unsigned or forged token.',
    )
    .action((arg: string | undefined, opts) => {
      const nowMs = Date.now();
      const { header, claims } = decodeUnverified(readToken(arg, opts.tokenFile));
      const times = timesOf(claims, nowMs);
      if (opts.json) {
        printJson({ verified: false, header, claims, times });
        return;
      }
      const warn = paint(
        ['bold', 'yellow'],
        'UNVERIFIED: decoded only; the signature and claims were not checked',
      );
      const timeLines = Object.entries(times).map(([k, v]) => `  ${k}  ${v}`);
      process.stdout.write(
        `${warn}\n\n${bold('header')}\n${indentJson(header)}\n\n${bold('claims')}\n${indentJson(claims)}\n` +
          (timeLines.length ? `\n${bold('times')}\n${timeLines.join('\n')}\n` : ''),
      );
    });

  token
    .command('verify')
    .description('verify a token with the same checks as the gateway; exit 0 when valid, 1 when not')
    .addHelpText(
      'after',
      '\nExit codes: 0 valid, 1 invalid (the failed step is shown), 2 usage, 78 the options given do not make a verifier (a short secret, an http key URL).',
    )
    .argument('[token]', 'the token; - reads standard input')
    .option('--token-file <file>', 'read the token from a file')
    .option('--secret <secret>', 'HMAC secret (visible to other local users: prefer --secret-env)')
    .option('--secret-env <name>', 'environment variable holding the HMAC secret')
    .option('--secret-file <file>', 'file holding the HMAC secret')
    .option('--jwks-file <file>', 'public keys: a JWKS, one JWK, or a PEM public key or certificate')
    .option('--jwks-url <url>', 'JWKS URL (https, or http to loopback)')
    .option('--issuer-url <url>', 'issuer URL: the JWKS is found by OpenID/OAuth discovery; also the iss')
    .option('--iss <issuer>', 'exact iss the token must carry')
    .option('--aud <audience>', 'accepted audience (repeatable)', collect)
    .option(
      '--alg <alg>',
      'allowed algorithm (repeatable; default HS256 with a secret, every asymmetric one with keys)',
      algorithms,
    )
    .option('--typ <typ>', 'accepted typ header, e.g. at+jwt (repeatable)', collect)
    .option('--leeway <seconds>', 'clock skew tolerated on exp, nbf and iat', leeway)
    .option('--require-sub', 'reject tokens without sub', false)
    .option('--allow-http', 'allow plain http key URLs to other hosts (testing only)', false)
    .option('--json', 'print JSON', false)
    .action(async (arg: string | undefined, opts) => {
      const provider = providerFrom(opts);
      const text = readToken(arg, opts.tokenFile);
      let verifier: ReturnType<typeof createVerifier>;
      try {
        verifier = createVerifier({ providers: { token: provider } });
      } catch (err) {
        throw nameFlag(err, verifierFlags(opts), { 'set allowHttp': 'give --allow-http' });
      }
      let outcome: { verified: VerifiedToken } | { error: JwtGateError };
      try {
        outcome = { verified: await verifier.verify(text) };
      } catch (err) {
        outcome = { error: toJwtGateError(err) };
      }
      const steps = explainSteps(outcome, ['parse', 'issuer', 'algorithm', 'key', 'signature', 'claims']);
      const valid = 'verified' in outcome;
      const result =
        'verified' in outcome
          ? { valid: true, header: outcome.verified.header, claims: outcome.verified.claims }
          : { valid: false, code: outcome.error.code };
      if (opts.json) printJson({ ...result, steps });
      else {
        const last = 'code' in result ? `${bad('invalid')}: ${result.code}` : ok('valid');
        process.stdout.write(`${summarize(text)}${formatSteps(steps)}${last}\n`);
      }
      process.exitCode = valid ? 0 : 1;
    });

  token
    .command('mint')
    .description('sign a token, for development and tests only')
    .option('--secret-env <name>', 'environment variable holding the HMAC secret')
    .option('--secret-file <file>', 'file holding the HMAC secret')
    .option('--key-file <file>', 'private key: PKCS#8 PEM or private JWK (jwtgate keys generate writes both)')
    .option('--alg <alg>', 'HS256 (default for secrets), ES256, RS256, PS256, EdDSA, ...', algorithm)
    .option('--kid <kid>', 'key id put in the header (default: the JWK kid, if any)')
    .option('--typ <typ>', 'typ header, e.g. at+jwt')
    .option('--iss <issuer>', 'iss claim')
    .option('--aud <audience>', 'aud claim (repeatable)', collect)
    .option('--sub <subject>', 'sub claim')
    .option('--exp <duration>', 'lifetime, e.g. 5m, 1h, 300', duration, 300)
    .option(
      '--claim <name=value>',
      'any claim, set last (so exp=1 mints an expired token); the value is JSON when it parses (repeatable)',
      claimPair,
    )
    .option('--json', 'print JSON with the header and claims', false)
    .action(async (opts) => {
      process.stderr.write(
        `${paint('yellow', 'warning:', process.stderr)} jwtgate token mint is for development and tests; real tokens come from an issuer\n`,
      );
      const { key, alg, kid } = await signingKey(opts);
      const now = Math.floor(Date.now() / 1000);
      const aud = opts.aud as string[] | undefined;
      const claims: Record<string, unknown> = {
        jti: randomUUID(),
        ...(opts.iss ? { iss: opts.iss } : {}),
        ...(opts.sub ? { sub: opts.sub } : {}),
        ...(aud?.length ? { aud: aud.length === 1 ? aud[0] : aud } : {}),
        iat: now,
        exp: now + (opts.exp as number),
        // Last, so a test can set any claim, including an exp in the past.
        ...(opts.claim ?? {}),
      };
      const header = {
        alg,
        ...((opts.kid ?? kid) ? { kid: opts.kid ?? kid } : {}),
        ...(opts.typ ? { typ: opts.typ } : {}),
      };
      const jwt = await new SignJWT(claims).setProtectedHeader(header).sign(key);
      if (opts.json) printJson({ token: jwt, header, claims });
      else process.stdout.write(`${jwt}\n`);
    });
}
