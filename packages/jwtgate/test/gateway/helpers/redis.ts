// Redis for the gateway tests: REDIS_URL (default redis://127.0.0.1:6379). Every run works under its
// own key prefix (jwtgate-test:<random>:) and deletes its keys afterwards. Without a reachable server
// the tests are skipped loudly, except in CI, where that is a failure.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

/** null when Redis answers PING, otherwise why not. */
export async function probeRedis(): Promise<string | null> {
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  let lastError = '';
  client.on('error', (err: Error) => {
    lastError = err.message;
  });
  try {
    await client.connect();
    await client.ping();
    return null;
  } catch (error) {
    return lastError || (error as Error).message || String(error);
  } finally {
    client.disconnect();
  }
}

/** Registers `body` when Redis is reachable; otherwise one skipped (or, under CI=true, failing) test. */
export async function withRedis(name: string, body: () => void): Promise<void> {
  const problem = await probeRedis();
  if (problem === null) return body();
  const message = `Redis not reachable at ${REDIS_URL} (${problem})`;
  if (process.env.CI === 'true') {
    test(name, () => {
      assert.fail(`${message}: the ${name} tests cannot run in CI without a server. Set REDIS_URL.`);
    });
  } else {
    test(name, (t) => {
      console.warn(`\n*** ${message}: ${name} tests SKIPPED ***\n`);
      t.skip(`Redis not reachable at ${REDIS_URL}: skipped`);
    });
  }
}

/** A key prefix of its own for one test run. */
export const uniquePrefix = () => `jwtgate-test:${randomBytes(6).toString('hex')}:`;

/** Deletes every key under `prefix`. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/** A port nothing listens on (bound, then released): a Redis that is "down". */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` every 20 ms until it holds or `ms` pass. */
export async function eventually(check: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Kills the connection named `name` (CLIENT KILL ID), as a network failure would. */
export async function killClient(redis: Redis, name: string): Promise<void> {
  const list = (await redis.client('LIST')) as string;
  const line = list.split('\n').find((l) => l.includes(` name=${name} `));
  assert.ok(line, `no client named ${name}`);
  const id = /(?:^|\s)id=(\d+)/.exec(line)?.[1];
  assert.ok(id);
  await redis.client('KILL', 'ID', id);
}
