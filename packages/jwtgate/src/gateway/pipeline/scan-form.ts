import { Transform, type TransformCallback } from 'node:stream';
import { Busboy, type BusboyInstance } from '@fastify/busboy';
import { GatewayError } from '../errors.ts';
import { isMethodOverrideName } from './check-method-override.ts';

/**
 * The content type to read a body as, when an upstream framework would read it as a form, or
 * null. Rack reads urlencoded and every multipart/* body, and a POST without Content-Type as
 * urlencoded; PHP (Laravel, Symfony) urlencoded and multipart/form-data.
 */
export function formTypeOf(method: string | undefined, contentType: string | undefined): string | null {
  if (contentType === undefined) return method === 'POST' ? 'application/x-www-form-urlencoded' : null;
  const type = contentType.trimStart().toLowerCase();
  if (type.startsWith('application/x-www-form-urlencoded')) return contentType;
  // busboy parses multipart/form-data; the other multipart types have the same framing.
  if (type.startsWith('multipart/'))
    return contentType.replace(/^\s*multipart\/[^;\s]*/i, 'multipart/form-data');
  return null;
}

/** A parser that notes the first method override (or the body's being unreadable as a form). */
function createScan(contentType: string): {
  parser: BusboyInstance | null;
  verdict: () => GatewayError | null;
} {
  let verdict: GatewayError | null = null;
  const found = () => {
    verdict ??= new GatewayError('ERR_METHOD_OVERRIDE');
  };
  let parser: BusboyInstance | null = null;
  try {
    // Long names are kept whole enough to see `_method[...]`; values are not kept at all.
    parser = new Busboy({
      headers: { 'content-type': contentType },
      limits: { fieldNameSize: 256, fieldSize: 0 },
    });
  } catch {
    // e.g. multipart without a boundary: nothing can read it as a form; neither can we check it.
    verdict = new GatewayError('ERR_FORM_MALFORMED');
    return { parser: null, verdict: () => verdict };
  }
  parser.on('field', (name: string) => {
    if (isMethodOverrideName(name)) found();
  });
  parser.on('file', (name: string, file: NodeJS.ReadableStream) => {
    if (isMethodOverrideName(name)) found();
    file.resume();
  });
  parser.on('error', () => {
    verdict ??= new GatewayError('ERR_FORM_MALFORMED');
  });
  return { parser, verdict: () => verdict };
}

function finished(parser: BusboyInstance): Promise<void> {
  return new Promise((resolve) => {
    parser.once('finish', resolve);
    parser.once('error', () => resolve());
  });
}

/** Checks a whole form body: ERR_METHOD_OVERRIDE, ERR_FORM_MALFORMED, or null when it may go. */
export async function scanForm(contentType: string, body: Buffer): Promise<GatewayError | null> {
  const { parser, verdict } = createScan(contentType);
  if (parser === null) return verdict();
  const done = finished(parser);
  parser.end(body);
  await done;
  return verdict();
}

/**
 * Checks a form body as it streams to the upstream. The last chunk is held back until the whole
 * body has been read: a field's name is only known to be `_method` once the field is complete,
 * and the upstream must never receive a complete body that carries one (it would act on it).
 */
export class FormScan extends Transform {
  readonly #parser: BusboyInstance | null;
  readonly #verdict: () => GatewayError | null;
  #held: Buffer | null = null;

  constructor(contentType: string) {
    super();
    const { parser, verdict } = createScan(contentType);
    this.#parser = parser;
    this.#verdict = verdict;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const parser = this.#parser;
    if (parser === null) {
      done(this.#verdict());
      return;
    }
    parser.write(chunk, () => {
      const v = this.#verdict();
      if (v !== null) return done(v);
      if (this.#held !== null) this.push(this.#held);
      this.#held = chunk;
      done();
    });
  }

  override _flush(done: TransformCallback): void {
    const parser = this.#parser;
    if (parser === null) {
      done(this.#verdict());
      return;
    }
    const end = finished(parser);
    parser.end();
    void end.then(() => {
      const v = this.#verdict();
      if (v !== null) return done(v);
      if (this.#held !== null) this.push(this.#held);
      done();
    });
  }
}
