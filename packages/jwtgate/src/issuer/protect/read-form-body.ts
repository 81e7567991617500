import type { IncomingMessage } from 'node:http';
import { decodeJwt } from 'jose';

export type PeekResult =
  | { readonly ok: true; readonly body: Buffer }
  | { readonly ok: false; readonly status: 411 | 413 | 400 };

/**
 * Reads a request body of at most `limit` bytes and puts it back into the stream (stream.unshift,
 * which exists for parsers that look ahead), so oidc-provider parses the very same bytes. Needs a
 * Content-Length: a body of unknown length could not be put back after its end. A body over the
 * limit is refused from the header alone, before a byte of it is read.
 */
export function peekBody(req: IncomingMessage, limit: number): Promise<PeekResult> {
  const header = req.headers['content-length'];
  if (header === undefined) {
    return Promise.resolve(
      req.headers['transfer-encoding'] === undefined
        ? { ok: true, body: Buffer.alloc(0) }
        : { ok: false, status: 411 },
    );
  }
  const length = Number(header);
  if (!Number.isSafeInteger(length) || length < 0) return Promise.resolve({ ok: false, status: 400 });
  if (length > limit) return Promise.resolve({ ok: false, status: 413 });
  if (length === 0) return Promise.resolve({ ok: true, body: Buffer.alloc(0) });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const done = (result: PeekResult) => {
      req.off('readable', onReadable);
      req.off('end', onEnd);
      req.off('error', onEnd);
      resolve(result);
    };
    const onEnd = () => done({ ok: false, status: 400 });
    const onReadable = () => {
      for (let chunk = req.read() as Buffer | null; chunk !== null; chunk = req.read() as Buffer | null) {
        chunks.push(chunk);
        received += chunk.length;
      }
      if (received >= length) {
        const body = Buffer.concat(chunks, received);
        req.unshift(body);
        done({ ok: true, body });
      }
    };
    req.on('readable', onReadable);
    req.once('end', onEnd);
    req.once('error', onEnd);
  });
}

const MAX_ID = 256;

/**
 * The client id a request claims, before any authentication (only to key rate limits and
 * lock-outs): from HTTP Basic (RFC 6749 2.3.1, form-encoded), `client_id`, or the `sub` of a
 * client assertion (RFC 7523 3). Undefined when there is none.
 */
export function claimedClientId(req: IncomingMessage, body: Buffer): string | undefined {
  const auth = req.headers.authorization;
  let id: string | undefined;
  if (typeof auth === 'string' && /^basic /i.test(auth)) {
    const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    try {
      id = decodeURIComponent((colon === -1 ? decoded : decoded.slice(0, colon)).replace(/\+/g, '%20'));
    } catch {
      id = decoded.slice(0, colon === -1 ? undefined : colon);
    }
  } else if (body.length > 0) {
    const params = new URLSearchParams(body.toString('utf8'));
    id = params.get('client_id') ?? undefined;
    const assertion = params.get('client_assertion');
    if (id === undefined && assertion !== null) {
      try {
        const sub = decodeJwt(assertion).sub;
        id = typeof sub === 'string' ? sub : undefined;
      } catch {
        id = undefined;
      }
    }
  }
  return id === undefined || id === '' ? undefined : id.slice(0, MAX_ID);
}
