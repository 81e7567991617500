import type { IncomingMessage } from 'node:http';

export type FormResult =
  | { readonly ok: true; readonly form: URLSearchParams }
  | { readonly ok: false; readonly status: 400 | 413 | 415 };

/**
 * Reads an `application/x-www-form-urlencoded` body of at most `maxBytes` (the login page's and
 * the console's forms); anything else (multipart, JSON, a larger body) is refused before it is
 * buffered, so a form cannot be used to fill memory.
 *
 * @example
 * const read = await readUrlencodedForm(req, 16 * 1024);
 * if (!read.ok) return refuse(read.status);
 */
export function readUrlencodedForm(req: IncomingMessage, maxBytes: number): Promise<FormResult> {
  const type = String(req.headers['content-type'] ?? '')
    .split(';')[0]
    ?.trim()
    .toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return Promise.resolve({ ok: false, status: 415 });
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) return Promise.resolve({ ok: false, status: 413 });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        resolve({ ok: false, status: 413 });
        req.pause();
      } else chunks.push(chunk);
    });
    req.on('end', () =>
      resolve({ ok: true, form: new URLSearchParams(Buffer.concat(chunks).toString('utf8')) }),
    );
    req.on('error', () => resolve({ ok: false, status: 400 }));
  });
}
