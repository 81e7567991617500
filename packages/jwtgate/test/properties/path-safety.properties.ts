// Properties of the gateway's path check (prepareUpstream's UNSAFE_PATH, before any route is
// matched): no path it lets through resolves to another path by the rules an upstream may apply
// (RFC 3986 5.2.4 dot segments, WHATWG URL parsing, percent-decoding, Java's `;` parameters and
// `..;`, backslashes as slashes, the fragment), and the path forwarded is the one checked.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import {
  defineProperty,
  expectOnlyAsync,
  type PropertySuite,
} from '../../../verify/test/properties/property-suite.ts';
import { type CompiledGateway, compileGateway } from '../../src/gateway/config/compile-gateway.ts';
import { configFromObject } from '../../src/gateway/config/read-config.ts';
import { prepareUpstream } from '../../src/gateway/pipeline/prepare-upstream.ts';
import { RevocationList } from '../../src/gateway/state/revocation-list.ts';
import { config, route } from '../gateway/helpers/config.ts';

const NOW = 1_800_000_000_000;

/** Pieces a hostile path is made of: dots and their encodings, separators, parameters, escapes. */
const PIECES = [
  '.',
  '..',
  '%2e',
  '%2E',
  '.%2e',
  '%2e%2e',
  '%2f',
  '%2F',
  '%5c',
  '%5C',
  '\\',
  ';',
  '..;',
  ';jsessionid=1',
  '%3b',
  '%00',
  '%25',
  '%252e',
  '%252f',
  '%c0%ae',
  '%e2%80%a4',
  '%ef%bc%8e',
  '\u2024',
  '\uff0e',
  '#',
  '%23',
  '%3f',
  '%20',
  '@',
  ':',
  '~',
  'a',
  'admin',
  'pub',
  '',
];
const segment = fc.oneof(
  fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 3 }).map((p) => p.join('')),
  fc.webSegment(),
);
const hostilePath = fc
  .array(segment, { minLength: 1, maxLength: 6 })
  .map((segments) => `/${segments.join('/')}`);

/**
 * A segment's bytes after percent-decoding once (RFC 3986 2.1): every `%XX` is its byte, every
 * other character its UTF-8. Comparing bytes, not decoded text, two spellings of the same segment
 * (`%C3%A9` and `é`, or WHATWG's re-encoding of characters it escapes) compare equal.
 */
function bytesOf(segment: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < segment.length; i++) {
    const hex = segment.slice(i + 1, i + 3);
    if (segment[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      out.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      const cp = segment.codePointAt(i) as number;
      out.push(...Buffer.from(String.fromCodePoint(cp)));
      if (cp > 0xffff) i++;
    }
  }
  return Buffer.from(out);
}

/** Why `path` resolves to another path under some upstream's rules, or null. */
function resolvesElsewhere(path: string): string | null {
  const raw = path.split('/').slice(1);
  // WHATWG URL (browsers, undici, Node's URL, many frameworks): dot segments, `%2e` dots,
  // backslashes, tabs and newlines, the fragment.
  const whatwg = new URL(path, 'http://upstream.invalid');
  if (whatwg.hash !== '' || whatwg.search !== '') return 'WHATWG URL: part of it is a fragment or query';
  const resolved = whatwg.pathname.split('/').slice(1);
  if (
    resolved.length !== raw.length ||
    resolved.some((s, k) => !bytesOf(s).equals(bytesOf(raw[k] as string)))
  )
    return `WHATWG URL: ${whatwg.pathname}`;
  for (const s of raw) {
    // Percent-decoding, then resolving: a decoded '/' or '\' splits a segment; decoded dots climb.
    const decoded = bytesOf(s).toString('latin1');
    if (/[/\\]/.test(decoded)) return `percent-decoding: "${s}" holds a separator`;
    if (decoded === '.' || decoded === '..') return `percent-decoding: "${s}" is a dot segment`;
    // Java (Tomcat, Spring): `;` starts path parameters, so `..;x` is `..`.
    const beforeParams = decoded.split(';')[0];
    if (beforeParams === '.' || beforeParams === '..') return `Java path parameters: "${s}"`;
    if (decoded.includes('\0')) return `NUL in "${s}"`;
  }
  // Empty segments: most servers merge `//` into `/`.
  if (raw.slice(0, -1).some((s) => s === '')) return 'empty segment (merged slashes)';
  return null;
}

function requestFor(url: string): IncomingMessage {
  return {
    url,
    method: 'GET',
    headers: { host: 'gateway.test' },
    rawHeaders: ['Host', 'gateway.test'],
    socket: { remoteAddress: '127.0.0.1' },
  } as unknown as IncomingMessage;
}

export const pathSafetySuite: PropertySuite<CompiledGateway> = {
  name: 'gateway path safety',
  async open() {
    const c = config([route('all', '/**', { requires: undefined, public: true })]);
    return compileGateway(configFromObject(c, 'fuzz.yaml'), {
      revocations: new RevocationList(() => NOW),
      now: () => NOW,
      env: {},
    });
  },
  async close(g) {
    await g.pools.close();
  },
  properties: [
    defineProperty({
      name: 'no path the check lets through resolves to another path; the path forwarded is the one checked',
      arbitrary: hostilePath,
      testRuns: 1000,
      check: async (path, g: CompiledGateway) => {
        const r = await expectOnlyAsync(
          () => prepareUpstream(requestFor(path), g, 'fuzz', () => NOW),
          () => false,
        );
        assert.ok('value' in r);
        const decision = r.value;
        if (!decision.ok) {
          assert.equal(decision.reason, 'ERR_PATH_INVALID', `${path}: ${decision.reason}`);
          return;
        }
        assert.equal(decision.path, path);
        const why = resolvesElsewhere(path);
        assert.equal(why, null, `accepted ${JSON.stringify(path)}, but ${why}`);
      },
    }),
  ],
};
