import type { IncomingMessage } from 'node:http';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import type { CompiledRoute } from '../config/compile-gateway.ts';
import { GatewayError } from '../errors.ts';
import type { RequestState } from './request-state.ts';
import { FormScan, formTypeOf, scanForm } from './scan-form.ts';

/** Whether the request has a body (a Content-Length other than 0, or a transfer coding). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

class BodyLimit extends Transform {
  #left: number;
  constructor(limit: number) {
    super();
    this.#left = limit;
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.#left -= chunk.length;
    if (this.#left < 0) done(new GatewayError('ERR_BODY_TOO_LARGE'));
    else done(null, chunk);
  }
}

/** Reads until `limit` bytes or the end: the chunks, and whether that was the whole body. */
function readUpTo(
  req: IncomingMessage,
  limit: number,
): Promise<{ chunks: Buffer[]; bytes: number; whole: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const stop = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      bytes += chunk.length;
      if (bytes >= limit) {
        stop();
        req.pause();
        resolve({ chunks, bytes, whole: false });
      }
    };
    const onEnd = () => {
      stop();
      resolve({ chunks, bytes, whole: true });
    };
    const onError = (err: Error) => {
      stop();
      reject(err);
    };
    // The client went away (or the body deadline closed the connection) before the end.
    const onClose = () => {
      if (req.complete) return;
      stop();
      reject(
        Object.assign(new Error('the client closed the connection during the body'), { code: 'ECONNRESET' }),
      );
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/**
 * The body to send upstream: a Buffer when the whole of it was read, else a stream. The first
 * `limits.buffer_body_bytes` are read before anything is sent (nginx buffers request bodies for
 * the same reason): a small body goes upstream whole and at once, so a slow client never holds
 * an upstream connection while it trickles one in; a larger body is streamed once that much has
 * arrived. Over `max_body_bytes` is ERR_BODY_TOO_LARGE. A form body is checked for `_method`
 * (FormScan) unless the route allows method override.
 */
export async function readBody(s: RequestState): Promise<Buffer | Readable> {
  const req = s.req;
  const route = s.route as CompiledRoute;
  const max = route.maxBodyBytes;
  const declared = Number(req.headers['content-length']);
  if (declared > max) throw new GatewayError('ERR_BODY_TOO_LARGE');
  const form = route.methodOverride === 'allow' ? null : formTypeOf(req.method, req.headers['content-type']);
  const buffer = s.g.limits.bufferBodyBytes;
  if (buffer > 0) {
    // One byte over the body limit is enough to know it is too large.
    const { chunks, bytes, whole } = await readUpTo(req, Math.min(buffer, max + 1));
    if (bytes > max) throw new GatewayError('ERR_BODY_TOO_LARGE');
    if (whole) {
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, bytes);
      if (form !== null) {
        const refused = await scanForm(form, body);
        if (refused !== null) throw refused;
      }
      return body;
    }
    // What was read goes back in front of the rest, and the whole is streamed.
    req.unshift(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, bytes));
  }
  let body: Readable = Number.isFinite(declared) ? req : chain(req, new BodyLimit(max));
  if (form !== null) body = chain(body, new FormScan(form));
  return body;
}

/**
 * `from` piped into `to`, and `from`'s failure (the body limit) becomes `to`'s, which undici
 * reads. Not stream.pipeline: that would destroy the request, and with it the socket that the
 * answer (413, 400) still has to go out on.
 */
function chain(from: Readable, to: Transform): Transform {
  if (from !== to) from.on('error', (err) => to.destroy(err));
  return from.pipe(to);
}
