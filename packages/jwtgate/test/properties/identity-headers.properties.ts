// Properties of identity-header encoding (gateway/headers/identity-headers.ts): every value is a
// valid field value (RFC 9110 5.5) that node's HTTP parser (the upstream reading the request) and
// undici's (a client reading it back in a response) deliver byte for byte, that decodes back to
// the claim, and whose array elements cannot be confused with one another.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { Pool } from 'undici';
import {
  defineProperty,
  expectOnly,
  type PropertySuite,
} from '../../../verify/test/properties/property-suite.ts';
import { compileIdentityHeaders } from '../../src/gateway/headers/identity-headers.ts';

/** RFC 9110 5.5: field-value = *field-content, without leading or trailing whitespace; visible ASCII here. */
const FIELD_VALUE = /^(?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?$/;

const mutate = compileIdentityHeaders({ 'X-Claim': 'v' });

/** Text a claim can hold: any code point (lone surrogates included), and the characters that matter here. */
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({
    unit: fc.constantFrom(
      ' ',
      '\t',
      ',',
      '%',
      '"',
      '\r',
      '\n',
      '\0',
      'a',
      'é',
      '\ud800',
      '\udc00',
      '😀',
      '\u00a0',
    ),
    maxLength: 8,
  }),
);
const claimValue = fc.oneof(
  text,
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null)), { maxLength: 5 }),
  fc.jsonValue({ maxDepth: 2 }),
);

/** What the header must decode to: the claim as text, or its string and number elements. */
function expected(value: unknown): { list: string[] } | { text: string } | null {
  if (value === undefined || value === null) return null;
  if (Array.isArray(value))
    return {
      list: value
        .filter((v) => typeof v === 'string' || typeof v === 'number')
        .map((v) => String(v).toWellFormed()),
    };
  if (typeof value === 'object') return { text: JSON.stringify(value) };
  return { text: String(value).toWellFormed() };
}

interface Echo {
  readonly server: Server;
  readonly pool: Pool;
}

export const identityHeadersSuite: PropertySuite<Echo> = {
  name: 'identity headers',
  async open() {
    // The upstream: node's parser reads the request; the value goes back in a header and the body.
    const server = createServer((req, res) => {
      const value = req.headers['x-claim'];
      res.setHeader('x-echo', typeof value === 'string' ? value : '');
      res.end(JSON.stringify({ value: value ?? null }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return { server, pool: new Pool(`http://127.0.0.1:${port}`, { connections: 4 }) };
  },
  async close({ server, pool }) {
    await pool.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  },
  properties: [
    defineProperty({
      name: 'every value is a field value both parsers deliver byte for byte, and it decodes to the claim',
      arbitrary: claimValue,
      check: async (value, echo: Echo) => {
        const headers: Record<string, string> = {};
        const r = expectOnly(
          () => mutate({ v: value }, headers),
          () => false,
        );
        assert.ok('value' in r);
        const sent = headers['x-claim'];
        const want = expected(value);
        if (want === null || ('list' in want && want.list.length === 0 && sent === undefined)) {
          assert.equal(sent, undefined);
          return;
        }
        assert.equal(typeof sent, 'string', `no header for ${JSON.stringify(value)}`);
        const header = sent as string;
        assert.match(header, FIELD_VALUE, `not a field value: ${JSON.stringify(header)}`);
        if ('text' in want) assert.equal(decodeURIComponent(header), want.text);
        else {
          // One element per ',' and back exactly: ["x,admin"] never reads as ["x", "admin"].
          assert.notEqual(want.list.length, 0, `an empty list was sent as ${JSON.stringify(header)}`);
          assert.deepEqual(header.split(',').map(decodeURIComponent), want.list);
        }
        const res = await echo.pool.request({ path: '/', method: 'GET', headers: { 'x-claim': header } });
        const body = (await res.body.json()) as { value: string | null };
        assert.equal(body.value, header, "node's parser changed the value");
        assert.equal(res.headers['x-echo'], header, "undici's parser changed the value");
      },
    }),
  ],
};
