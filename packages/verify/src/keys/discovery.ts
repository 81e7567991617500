import type { FetchFunction } from './fetch-json.ts';
import { checkFetchableUrl, fetchJson } from './fetch-json.ts';

/**
 * Finds an issuer's `jwks_uri` from its metadata: OpenID Connect Discovery 1.0 section 4
 * (`<issuer>/.well-known/openid-configuration`), then RFC 8414 section 3
 * (`/.well-known/oauth-authorization-server` inserted before the issuer's path). The document's
 * `issuer` must equal the configured issuer exactly (OIDC Discovery 4.3, RFC 8414 3.3).
 */
export async function discoverJwksUri(
  issuer: string,
  options: { timeoutMs: number; maxBytes: number; allowHttp: boolean; fetch: FetchFunction },
): Promise<string> {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/$/, '');
  const candidates = [
    `${url.origin}${path}/.well-known/openid-configuration`,
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
  ];
  const problems: string[] = [];
  for (const candidate of candidates) {
    let json: unknown;
    try {
      ({ json } = await fetchJson(candidate, options));
    } catch (err) {
      problems.push(`${candidate} ${(err as Error).message}`);
      continue;
    }
    const meta = json as { issuer?: unknown; jwks_uri?: unknown };
    if (meta?.issuer !== issuer) {
      throw new Error(`metadata at ${candidate} names issuer ${JSON.stringify(meta?.issuer)}, not ${issuer}`);
    }
    if (typeof meta.jwks_uri !== 'string') throw new Error(`metadata at ${candidate} has no jwks_uri`);
    const problem = checkFetchableUrl(meta.jwks_uri, options.allowHttp);
    if (problem) throw new Error(`discovered jwks_uri ${problem}`);
    return meta.jwks_uri;
  }
  throw new Error(`no issuer metadata found: ${problems.join('; ')}`);
}
