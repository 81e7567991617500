/** The fetch function key sources use; injectable for tests that count requests. */
export type FetchFunction = (input: string, init: RequestInit) => Promise<Response>;

export interface FetchJsonOptions {
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly fetch: FetchFunction;
}

export interface FetchedJson {
  readonly json: unknown;
  /** Seconds from `Cache-Control: max-age`, 0 for `no-store`/`no-cache`, undefined when absent. */
  readonly maxAgeSeconds: number | undefined;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/**
 * Only https, or plain http to this machine (or anywhere, if explicitly allowed): key material
 * fetched over plain http from another host could be swapped in transit.
 */
export function checkFetchableUrl(raw: string, allowHttp: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not a valid URL';
  }
  if (url.username || url.password) return 'must not contain credentials';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && (allowHttp || LOOPBACK.test(url.hostname))) return undefined;
  if (url.protocol === 'http:') return 'uses plain http to a non-loopback host (set allowHttp to permit it)';
  return 'must be an https URL';
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `timed out after ${timeoutMs} ms`;
  return `could not connect (${e?.cause?.code ?? e?.cause?.message ?? e?.message ?? 'unknown error'})`;
}

function parseMaxAge(header: string | null): number | undefined {
  if (!header) return undefined;
  if (/\b(no-store|no-cache)\b/i.test(header)) return 0;
  const m = /\bmax-age=(\d{1,10})\b/i.exec(header);
  return m ? Number(m[1]) : undefined;
}

/**
 * GETs a JSON document with a deadline and a size cap. Redirects are refused: the URL that was
 * configured (or discovered under the issuer) is the only place keys come from.
 */
export async function fetchJson(url: string, options: FetchJsonOptions): Promise<FetchedJson> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  let response: Response;
  try {
    response = await options.fetch(url, {
      signal,
      redirect: 'error',
      headers: { accept: 'application/json, application/jwk-set+json' },
    });
  } catch (err) {
    throw new Error(describeFetchError(err, options.timeoutMs));
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => {});
    throw new Error(`answered HTTP ${response.status}`);
  }
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > options.maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw new Error(`response larger than ${options.maxBytes} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    if (response.body) {
      for await (const chunk of response.body) {
        size += chunk.byteLength;
        if (size > options.maxBytes) throw new Error(`response larger than ${options.maxBytes} bytes`);
        chunks.push(chunk);
      }
    }
  } catch (err) {
    await response.body?.cancel().catch(() => {});
    throw new Error(
      err instanceof Error && err.message.startsWith('response larger')
        ? err.message
        : describeFetchError(err, options.timeoutMs),
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new Error('response is not JSON');
  }
  return { json, maxAgeSeconds: parseMaxAge(response.headers.get('cache-control')) };
}
