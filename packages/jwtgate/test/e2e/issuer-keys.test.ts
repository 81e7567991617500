// End to end with real `jwtgate issuer` processes and the CLI on one SQLite file: key rotation
// with overlap (pre-publication, then the old key kept until its tokens expired), a restart that
// keeps clients and keys, and private keys encrypted at rest. Short lifetimes and bounded waits.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createVerifier, type Verifier } from '@jwtgate/verify';
import {
  AUDIENCE,
  decodePart,
  freePort,
  getToken,
  type IssuerProcess,
  openTempStore,
  runCli,
  sleep,
  startIssuerProcess,
  tempDir,
} from '../issuer/helpers.ts';

async function publishedKids(url: string): Promise<string[]> {
  const res = await fetch(`${url}/.well-known/jwks.json`);
  return ((await res.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
}

/** Polls `check` every 50 ms until it returns a value, or fails after `ms`. */
async function waitFor<T>(what: string, ms: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function discoveryVerifier(url: string): Verifier {
  // Refetch keys on an unknown kid at once (the default cooldown is 30 s, too long for a test).
  return createVerifier({
    providers: {
      issuer: {
        issuer: url,
        audiences: [AUDIENCE],
        algorithms: ['ES256', 'EdDSA'],
        tokenTypes: ['at+jwt'],
        remote: { cooldownMs: 0, minAgeMs: 0 },
      },
    },
  });
}

async function addClient(store: string, id: string): Promise<string> {
  const r = await runCli([
    'clients',
    'add',
    id,
    '--audience',
    AUDIENCE,
    '--scope',
    'read',
    '--store',
    store,
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).client_secret;
}

describe('key rotation with overlap (jwtgate keys rotate against a running issuer)', () => {
  const tmp = tempDir();
  const store = join(tmp.dir, 'issuer.db');
  let issuer: IssuerProcess;
  let url: string;
  let secret: string;
  const LIFETIME = 8;
  const PRE_PUBLISH = 3;
  const MARGIN = 1;

  before(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    secret = await addClient(store, 'rotating');
    issuer = startIssuerProcess([
      `--port=${port}`,
      `--store=${store}`,
      `--token-lifetime=${LIFETIME}`,
      `--pre-publish=${PRE_PUBLISH}`,
      `--retention-margin=${MARGIN}`,
      '--key-poll=100',
    ]);
    await issuer.ready;
  });

  after(async () => {
    assert.equal(await issuer.stop(), 0, issuer.output());
    tmp.remove();
  });

  test('tokens signed before, during and after the rotation verify; the old key leaves only after they expired', async () => {
    const verifier = discoveryVerifier(url);
    const [oldKid] = await publishedKids(url);
    assert.ok(oldKid);
    const before = await getToken(url, 'rotating', secret);
    assert.equal(decodePart(before, 0).kid, oldKid);
    await verifier.verify(before);

    const rotated = await runCli([
      'keys',
      'rotate',
      `--pre-publish=${PRE_PUBLISH}`,
      `--store=${store}`,
      '--json',
    ]);
    assert.equal(rotated.code, 0, rotated.stderr);
    const next = JSON.parse(rotated.stdout) as { kid: string; state: string; activates_at: string };
    assert.equal(next.state, 'next');
    const activatesAt = Date.parse(next.activates_at);

    // Published before it signs: the running issuer picks it up from the store.
    await waitFor('the next key in the JWKS', PRE_PUBLISH * 1000, async () =>
      (await publishedKids(url)).includes(next.kid) ? true : undefined,
    );
    assert.ok(Date.now() < activatesAt, 'the next key was published before it signs');
    const during = await getToken(url, 'rotating', secret);
    assert.equal(decodePart(during, 0).kid, oldKid, 'the old key still signs during pre-publication');
    await verifier.verify(during);

    // Then it signs.
    const afterRotation = await waitFor(
      'a token signed by the new key',
      (PRE_PUBLISH + 3) * 1000,
      async () => {
        const token = await getToken(url, 'rotating', secret);
        return decodePart(token, 0).kid === next.kid ? token : undefined;
      },
    );
    assert.ok(Date.now() >= activatesAt - 50);
    await verifier.verify(afterRotation);
    // Every earlier token is still good, against a key set fetched after the rotation too.
    await verifier.verify(before);
    await verifier.verify(during);
    const fresh = discoveryVerifier(url);
    for (const token of [before, during, afterRotation]) await fresh.verify(token);

    // The old key stays published until every token it signed has expired...
    const lastOldExp = Math.max(...[before, during].map((t) => decodePart(t, 1).exp as number));
    const kidsBeforeExpiry = await publishedKids(url);
    assert.deepEqual(kidsBeforeExpiry.sort(), [oldKid, next.kid].sort());
    // ...and leaves after that (activation + lifetime + margin).
    await waitFor('the old key to leave the JWKS', (LIFETIME + MARGIN + 3) * 1000, async () =>
      (await publishedKids(url)).includes(oldKid) ? undefined : true,
    );
    assert.ok(Date.now() >= lastOldExp * 1000, 'not before the last token it signed expired');
    assert.ok(Date.now() >= activatesAt + (LIFETIME + MARGIN) * 1000 - 50);
    assert.deepEqual(await publishedKids(url), [next.kid]);

    const keys = await runCli(['keys', 'list', `--store=${store}`, '--json']);
    const states = Object.fromEntries(
      (JSON.parse(keys.stdout) as { kid: string; state: string }[]).map((k) => [k.kid, k.state]),
    );
    assert.deepEqual(states, { [oldKid]: 'retired', [next.kid]: 'current' });
  });
});

describe('restart on the same store', () => {
  test('keeps clients and keys: same kid, old tokens still verify', async () => {
    const tmp = tempDir();
    const store = join(tmp.dir, 'issuer.db');
    try {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const secret = await addClient(store, 'durable');
      let issuer = startIssuerProcess([`--port=${port}`, `--store=${store}`]);
      await issuer.ready;
      const token = await getToken(url, 'durable', secret);
      const kids = await publishedKids(url);
      assert.equal(await issuer.stop(), 0);

      issuer = startIssuerProcess([`--port=${port}`, `--store=${store}`]);
      await issuer.ready;
      try {
        assert.deepEqual(await publishedKids(url), kids);
        await discoveryVerifier(url).verify(token);
        const again = await getToken(url, 'durable', secret);
        assert.equal(decodePart(again, 0).kid, kids[0]);
      } finally {
        assert.equal(await issuer.stop(), 0);
      }
    } finally {
      tmp.remove();
    }
  });

  test('private keys are encrypted at rest with JWTGATE_KEY_ENCRYPTION_KEY, and needed to start again', async () => {
    const tmp = tempDir();
    const store = join(tmp.dir, 'issuer.db');
    const kek = Buffer.alloc(32, 7).toString('base64');
    try {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const secret = await addClient(store, 'sealed');
      let issuer = startIssuerProcess([`--port=${port}`, `--store=${store}`, '--alg=EdDSA'], {
        JWTGATE_KEY_ENCRYPTION_KEY: kek,
      });
      await issuer.ready;
      const token = await getToken(url, 'sealed', secret);
      assert.equal(decodePart(token, 0).alg, 'EdDSA');
      assert.equal(await issuer.stop(), 0);

      const db = await openTempStore(store);
      const [key] = await db.keys.list();
      await db.close();
      assert.ok(key?.privateJwk.startsWith('enc:v1:'));
      assert.ok(!key?.privateJwk.includes('"d"'));

      issuer = startIssuerProcess([`--port=${port}`, `--store=${store}`, '--alg=EdDSA']);
      assert.equal(await issuer.exited, 78, 'a configuration problem (ERR_KEY_ENCRYPTION)');
      assert.match(issuer.output(), /JWTGATE_KEY_ENCRYPTION_KEY is not set/);

      issuer = startIssuerProcess([`--port=${port}`, `--store=${store}`, '--alg=EdDSA'], {
        JWTGATE_KEY_ENCRYPTION_KEY: kek,
      });
      await issuer.ready;
      await discoveryVerifier(url).verify(token);
      assert.equal(await issuer.stop(), 0);
    } finally {
      tmp.remove();
    }
  });
});
