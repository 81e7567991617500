// A raw HTTP/2 client for the abuse tests: frames written as they are on the wire (RFC 9113 4.1)
// over node:tls, for what node:http2's client will not send (unfinished header blocks, more
// streams than the server allows, HPACK table tricks). HPACK (RFC 7541) is encoded here by hand,
// only its plainest forms: indexed fields and literals without Huffman. Node has no public HPACK
// encoder, and these few lines need no library.
import { connect, type TLSSocket } from 'node:tls';

export const FRAME = {
  DATA: 0,
  HEADERS: 1,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  CONTINUATION: 9,
} as const;
export const FLAG = { END_STREAM: 1, ACK: 1, END_HEADERS: 4 } as const;
export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

export function frame(
  type: number,
  flags: number,
  streamId: number,
  payload: Buffer = Buffer.alloc(0),
): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/** RFC 7541 5.1: an integer with an N-bit prefix, the first byte's high bits set to `high`. */
function integer(value: number, prefixBits: number, high: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([high | value]);
  const out = [high | max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return Buffer.from(out);
}

const text = (s: string) => Buffer.concat([integer(Buffer.byteLength(s), 7, 0), Buffer.from(s)]);

/** A literal field with a new name (6.2.2 without indexing; 6.2.1 with `index`: added to the table). */
export function literal(name: string, value: string, index = false): Buffer {
  return Buffer.concat([Buffer.from([index ? 0x40 : 0x00]), text(name), text(value)]);
}

/** An indexed field (6.1): a static entry (2 = :method GET, 7 = :scheme https) or a dynamic one (62 on). */
export const indexed = (i: number): Buffer => integer(i, 7, 0x80);

/** The header block of a GET request. */
export function getRequest(path: string, authority = 'localhost'): Buffer {
  return Buffer.concat([indexed(2), indexed(7), literal(':path', path), literal(':authority', authority)]);
}

export interface Frame {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  readonly payload: Buffer;
}

export interface RawSession {
  readonly socket: TLSSocket;
  /** Every frame the server sent so far. */
  readonly frames: Frame[];
  readonly closed: Promise<void>;
  write(data: Buffer): boolean;
  /** The GOAWAY error code the server sent, if it did. */
  goaway(): number | null;
  /** The RST_STREAM codes the server sent, by stream. */
  resets(): Map<number, number>;
}

/** Connects with ALPN h2 (certificates not checked: the server's is the test's own), sends the preface. */
export function rawSession(port: number): Promise<RawSession> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ALPNProtocols: ['h2'], rejectUnauthorized: false });
    const frames: Frame[] = [];
    let buffer = Buffer.alloc(0);
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 9) {
        const length = buffer.readUIntBE(0, 3);
        if (buffer.length < 9 + length) break;
        const f = {
          type: buffer[3] as number,
          flags: buffer[4] as number,
          streamId: buffer.readUInt32BE(5) & 0x7fffffff,
          payload: buffer.subarray(9, 9 + length),
        };
        frames.push(f);
        buffer = buffer.subarray(9 + length);
        if (f.type === FRAME.SETTINGS && (f.flags & FLAG.ACK) === 0)
          socket.write(frame(FRAME.SETTINGS, FLAG.ACK, 0));
      }
    });
    socket.once('secureConnect', () => {
      if (socket.alpnProtocol !== 'h2') return reject(new Error(`ALPN gave ${socket.alpnProtocol}`));
      socket.write(Buffer.concat([PREFACE, frame(FRAME.SETTINGS, 0, 0)]));
      resolve({
        socket,
        frames,
        closed,
        write: (data) => socket.write(data),
        goaway() {
          const g = frames.find((f) => f.type === FRAME.GOAWAY);
          return g ? g.payload.readUInt32BE(4) : null;
        },
        resets() {
          return new Map(
            frames
              .filter((f) => f.type === FRAME.RST_STREAM)
              .map((f) => [f.streamId, f.payload.readUInt32BE(0)]),
          );
        },
      });
    });
    socket.once('error', reject);
  });
}
