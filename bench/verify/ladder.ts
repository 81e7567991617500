// What each check costs in place, for HS256: the "no checks" ceiling, then the verifier's own
// steps put back one at a time, all in the same rounds. Timed alone (steps.ts) a step looks
// cheaper than it is among the others: each one evicts what the next had in cache.
//
//   0 ceiling       split, HMAC compare, base64url + toString + JSON.parse, exp
//   1 base64url     the payload through decodeBase64url (canonical encoding)
//   2 UTF-8         decodeUtf8 (strict UTF-8)
//   3 JSON          parseJsonObject (an object, no duplicate member names)
//   4 parseToken    segments, header (cached), signature encoding
//   5 signature     verifySignature instead of the inline compare
//   6 claims        checkClaims instead of exp alone
//   7 verify()      provider and key selection, the result, the promise (awaited)

import { createHmac } from 'node:crypto';
import type { Contender } from './measure.ts';
import { loadModules } from './steps.ts';

export const RUNGS = [
  'ceiling',
  'base64url',
  'UTF-8',
  'JSON',
  'parseToken',
  'signature',
  'claims',
  'verify()',
] as const;

/** One contender per rung, named `ladder <rung>`. */
export async function createLadderContenders(
  src: string,
  tokens: readonly string[],
  provider: Record<string, unknown> & { secret: string },
): Promise<Contender[]> {
  const m = await loadModules(src);
  const headers = new m.HeaderCache();
  const key = m.loadSecret(provider.secret, ['HS256'], {}) as { key: import('node:crypto').KeyObject };
  const { policy } = m.compileProvider('bench', provider, 'bench', { env: {}, now: Date.now });
  const verifier = m.createVerifier({ providers: { bench: provider } });
  const hmac = (input: string) => createHmac('sha256', key.key).update(input).digest('base64url');
  const pool = tokens.length;
  let i = 0;
  const next = () => tokens[i++ % pool] as string;
  const fail = (what: string): never => {
    throw new Error(`ladder: ${what}`);
  };
  // Rungs 0-3: the split and compare of the ceiling, the payload decoded ever more strictly.
  const upToJson = (decode: (segment: string) => Record<string, unknown> | undefined) => () => {
    const t = next();
    const dot1 = t.indexOf('.');
    const dot2 = t.lastIndexOf('.');
    if (hmac(t.slice(0, dot2)) !== t.slice(dot2 + 1)) fail('signature');
    const claims = decode(t.slice(dot1 + 1, dot2)) ?? fail('payload');
    if (!((claims.exp as number) > Date.now() / 1000)) fail('exp');
    return claims;
  };
  const utf8 = (segment: string) => {
    const bytes = m.decodeBase64url(segment) ?? fail('base64url');
    return m.decodeUtf8(bytes) ?? fail('UTF-8');
  };
  const rungs: Record<(typeof RUNGS)[number], () => unknown> = {
    ceiling: upToJson((s) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'))),
    base64url: upToJson((s) => JSON.parse((m.decodeBase64url(s) ?? fail('base64url')).toString('utf8'))),
    'UTF-8': upToJson((s) => JSON.parse(utf8(s))),
    JSON: upToJson((s) => m.parseJsonObject(utf8(s)) as Record<string, unknown> | undefined),
    parseToken: () => {
      const p = m.parseToken(next(), 8192, headers);
      if (hmac(p.signingInput) !== p.signature) fail('signature');
      if (!((p.claims.exp as number) > Date.now() / 1000)) fail('exp');
      return p;
    },
    signature: () => {
      const p = m.parseToken(next(), 8192, headers);
      if (!m.verifySignature('HS256', key, p.signingInput, p.signature)) fail('signature');
      if (!((p.claims.exp as number) > Date.now() / 1000)) fail('exp');
      return p;
    },
    claims: () => {
      const p = m.parseToken(next(), 8192, headers);
      if (!m.verifySignature('HS256', key, p.signingInput, p.signature)) fail('signature');
      return m.checkClaims(policy, p.header, p.claims, Math.floor(Date.now() / 1000));
    },
    'verify()': () => verifier.verify(next()),
  };
  for (const run of Object.values(rungs)) await run();
  return RUNGS.map((rung) => ({ name: `ladder ${rung}`, isAsync: rung === 'verify()', run: rungs[rung] }));
}
