// End to end: operating `jwtgate gateway` — reload under load, draining on SIGTERM, --workers,
// and start-up refusal of bad configuration files. Real processes on real ports.
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type CorpKeys,
  corpToken,
  type ExamplePorts,
  exampleConfig,
  freePort,
  type GatewayProcess,
  makeCorpKeys,
  nowSeconds,
  type Running,
  send,
  sleep,
  spawnGateway,
  startGateway,
  startJwks,
  startUpstream,
  tempDir,
  type Upstream,
  waitForStatus,
} from './harness.ts';

/** Runs `total` GETs at `concurrency` with fetch (keep-alive); resolves with every status. */
async function load(url: string, headers: Record<string, string>, total: number, concurrency: number) {
  const statuses: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < total) {
      next++;
      try {
        const res = await fetch(url, { headers });
        await res.arrayBuffer();
        statuses.push(res.status);
      } catch {
        statuses.push(0);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return statuses;
}

function countBy(values: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

/** Shared fixture: JWKS (answering after `jwksDelayMs`), two echo upstreams and the ports of one gateway. */
async function fixture(jwksDelayMs = 0): Promise<{
  keys: CorpKeys;
  jwks: Running;
  up1: Upstream;
  up2: Upstream;
  ports: ExamplePorts & { admin: number };
  close(): Promise<void>;
}> {
  const keys = await makeCorpKeys();
  const [jwks, up1, up2] = await Promise.all([
    startJwks(keys, 0, jwksDelayMs),
    startUpstream('up1'),
    startUpstream('up2'),
  ]);
  const ports = {
    gateway: await freePort(),
    admin: await freePort(),
    upstream1: up1.port,
    upstream2: up2.port,
    jwks: jwks.port,
  };
  return {
    keys,
    jwks,
    up1,
    up2,
    ports,
    close: async () => {
      await Promise.all([jwks.close(), up1.close(), up2.close()]);
    },
  };
}

const publicRoute = (name: string, path: string, upstreamPort: number) => `    - name: ${name}
      match: { path: ${path} }
      public: true
      upstream: http://127.0.0.1:${upstreamPort}
`;

describe('jwtgate gateway: reload under load', { timeout: 120_000 }, () => {
  const tmp = tempDir();
  let f: Awaited<ReturnType<typeof fixture>>;
  let gw: GatewayProcess;
  let file: string;
  let base: string;

  before(async () => {
    // Each reload starts a fresh verifier that fetches the keys again; a JWKS answering after
    // 150 ms keeps requests of the new configuration waiting while the next reload comes in.
    f = await fixture(150);
    file = tmp.write('jwtgate.yaml', exampleConfig(f.ports));
    gw = await startGateway(file);
    base = `http://127.0.0.1:${f.ports.gateway}`;
    await waitForStatus(`http://127.0.0.1:${f.ports.admin}/readyz`, 200);
  });

  after(async () => {
    assert.equal(await gw?.stop(), 0);
    await f?.close();
    tmp.cleanup();
  });

  it('loses no request while the file is rewritten and SIGHUP sent five times', async () => {
    const token = await corpToken(f.keys.rs, { roles: ['billing'] });
    const reloads = 5;
    let reloading = true;
    const reloader = (async () => {
      for (let i = 1; i <= reloads; i++) {
        await sleep(120);
        let routes = '';
        for (let j = 1; j <= i; j++) routes += publicRoute(`added-${j}`, `/added-${j}`, f.ports.upstream1);
        tmp.write('jwtgate.yaml', exampleConfig(f.ports, routes));
        gw.child.kill('SIGHUP');
      }
      reloading = false;
    })();
    const statuses = await load(`${base}/billing/x`, { authorization: `Bearer ${token}` }, 2000, 20);
    await reloader;
    assert.equal(reloading, false, 'every reload happened during the load');
    assert.equal(statuses.length, 2000);
    assert.deepEqual(countBy(statuses), { 200: 2000 });
    await gw.waitFor((out) => out.split('"msg":"configuration reloaded"').length - 1 === reloads);
    for (let j = 1; j <= reloads; j++) {
      const res = await send(`${base}/added-${j}`);
      assert.equal(res.status, 200, `the new route /added-${j} answers`);
      assert.equal(res.json<{ url: string }>().url, `/added-${j}`);
    }
  });

  it('keeps the running configuration when the new file is invalid, and logs why', async () => {
    const routes = publicRoute('added-1', '/added-1', f.ports.upstream1);
    const broken = exampleConfig(f.ports, routes).replace('  providers:\n', '  bogus: true\n  providers:\n');
    tmp.write('jwtgate.yaml', broken);
    gw.child.kill('SIGHUP');
    await gw.waitFor(/"msg":"reload refused; keeping the running configuration"/);
    const line = gw.logs().find((l) => l.msg === 'reload refused; keeping the running configuration');
    assert.match(String(line?.reason), new RegExp(`${file.replaceAll('.', '\\.')}`));
    assert.match(String(line?.reason), /gateway\.bogus \(line \d+\): unknown key "bogus"/);
    const token = await corpToken(f.keys.es, { roles: ['admin'] });
    const statuses = await load(`${base}/billing/x`, { authorization: `Bearer ${token}` }, 100, 10);
    assert.deepEqual(countBy(statuses), { 200: 100 });
    // The last valid configuration (with /added-5) is still the one running.
    assert.equal((await send(`${base}/added-5`)).status, 200);
  });
});

describe('jwtgate gateway: SIGTERM', { timeout: 60_000 }, () => {
  const tmp = tempDir();
  let f: Awaited<ReturnType<typeof fixture>>;

  before(async () => {
    f = await fixture();
  });

  after(async () => {
    await f?.close();
    tmp.cleanup();
  });

  it('lets an in-flight request finish with 200, refuses new connections, then exits 0', async () => {
    const file = tmp.write(
      'jwtgate.yaml',
      exampleConfig(f.ports, publicRoute('slow', '/slow/**', f.ports.upstream1)),
    );
    const gw = await startGateway(file);
    const base = `http://127.0.0.1:${f.ports.gateway}`;
    try {
      const started = performance.now();
      const inFlight = send(`${base}/slow/slow`); // the upstream answers after 500 ms
      await sleep(150);
      gw.child.kill('SIGTERM');
      await sleep(100);
      await assert.rejects(
        send(`${base}/healthz`),
        { code: 'ECONNREFUSED' },
        'no new connections while draining',
      );
      const res = await inFlight;
      assert.equal(res.status, 200);
      assert.equal(res.json<{ url: string }>().url, '/slow/slow');
      assert.ok(performance.now() - started >= 500);
      assert.equal(await gw.exited, 0);
    } finally {
      await gw.stop();
    }
  });

  it('LOG_LEVEL=warn drops the per-request lines; the default logs one per request', async () => {
    const file = tmp.write(
      'quiet.yaml',
      exampleConfig(f.ports, publicRoute('slow', '/slow/**', f.ports.upstream1)),
    );
    const base = `http://127.0.0.1:${f.ports.gateway}`;
    for (const [level, expected] of [
      ['warn', []],
      ['info', ['/slow/fast', '/nowhere']],
    ] as const) {
      const gw = spawnGateway(file, { env: { LOG_LEVEL: level } });
      try {
        await waitForStatus(`${base}/healthz`, 200);
        assert.equal((await send(`${base}/slow/fast`)).status, 200);
        assert.equal((await send(`${base}/nowhere`)).status, 404);
      } finally {
        await gw.stop();
      }
      const paths = gw
        .logs()
        .filter((l) => typeof l.request_id === 'string' && l.path !== '/healthz')
        .map((l) => l.path);
      // Every line written before the exit, the last one included (flushed synchronously).
      assert.deepEqual(paths, expected, `LOG_LEVEL=${level}: ${gw.output()}`);
    }
  });
});

describe('jwtgate gateway --workers 2', { timeout: 60_000 }, () => {
  const tmp = tempDir();
  let f: Awaited<ReturnType<typeof fixture>>;
  let gw: GatewayProcess;
  let base: string;
  let admin: string;

  before(async () => {
    f = await fixture();
    const file = tmp.write('jwtgate.yaml', exampleConfig(f.ports));
    gw = spawnGateway(file, { args: ['--workers', '2'] });
    base = `http://127.0.0.1:${f.ports.gateway}`;
    admin = `http://127.0.0.1:${f.ports.admin}`;
    await gw.waitFor(/"msg":"gateway primary started"/);
    // Each worker loads the whole gateway: on a loaded machine (load average ~20 on 2 cores)
    // two took 11-12 s to report ready, past the 10 s default.
    await waitForStatus(`${admin}/readyz`, 200, 30_000);
  });

  after(async () => {
    assert.equal(await gw?.stop(), 0);
    await f?.close();
    tmp.cleanup();
  });

  it('reports ready on the admin listener once both workers are', async () => {
    const res = await send(`${admin}/readyz`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), { status: 'ready', workers: 2, expected: 2 });
    assert.equal((await send(`${admin}/healthz`)).status, 200);
  });

  it('serves requests from both workers and aggregates /metrics', async () => {
    const token = await corpToken(f.keys.rs, { sub: 'worker-user' });
    const n = 20;
    for (let i = 0; i < n; i++) {
      const res = await send(`${base}/billing/x`, {
        headers: { authorization: `Bearer ${token}`, 'x-request-id': `workers-${i}` },
      });
      assert.equal(res.status, 200, res.body);
      assert.equal(res.json<{ headers: Record<string, string> }>().headers['x-user-id'], 'worker-user');
    }
    await gw.waitFor((out) => out.includes('"request_id":"workers-19"'));
    const pids = new Set(
      gw
        .logs()
        .filter((l) => String(l.request_id).startsWith('workers-'))
        .map((l) => l.pid),
    );
    assert.equal(pids.size, 2, 'both workers answered');
    assert.ok(!pids.has(gw.pid), 'the primary does not serve traffic');
    const metrics = await send(`${admin}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(
      metrics.body,
      new RegExp(`^jwtgate_requests_total\\{route="billing",status="200",mode="proxy"\\} ${n}$`, 'm'),
    );
    assert.match(metrics.body, /^jwtgate_jwks_fetch_total\{provider="corp",result="success"\} [1-9]/m);
  });

  it('relays revocations posted to the primary to every worker', async () => {
    const exp = nowSeconds() + 300;
    const token = await corpToken(f.keys.ed, { jti: 'workers-revoked', exp });
    for (let i = 0; i < 4; i++)
      assert.equal(
        (await send(`${base}/billing/x`, { headers: { authorization: `Bearer ${token}` } })).status,
        200,
      );
    const posted = await send(`${admin}/revocations`, {
      method: 'POST',
      body: JSON.stringify({ jti: 'workers-revoked', exp }),
    });
    assert.equal(posted.status, 204);
    await sleep(100); // IPC to the workers
    for (let i = 0; i < 4; i++) {
      const res = await send(`${base}/billing/x`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 401);
      assert.equal(res.json<{ error: string }>().error, 'ERR_TOKEN_REVOKED');
    }
  });
});

describe('jwtgate gateway: a bad configuration file', { timeout: 60_000 }, () => {
  const tmp = tempDir();
  let ports: ExamplePorts;

  before(async () => {
    ports = { gateway: await freePort(), upstream1: 1, upstream2: 2, jwks: 3 };
  });

  after(() => tmp.cleanup());

  async function refused(name: string, text: string, env: NodeJS.ProcessEnv = {}, args: string[] = []) {
    const file = tmp.write(name, text);
    const g = spawnGateway(file, { env, args });
    try {
      const timeout = new Promise<string>((r) => setTimeout(r, 15_000, 'still running').unref());
      const code = await Promise.race([g.exited, timeout]);
      assert.equal(code, 78, g.output());
    } finally {
      await g.stop();
    }
    assert.ok(g.output().includes(`jwtgate: invalid configuration ${file}`), g.output());
    assert.doesNotMatch(g.output(), /\n\s+at /, 'no stack trace');
    return g.output();
  }

  it('names an unknown key, its path and line', async () => {
    const text = exampleConfig(ports).replace('      public: true\n', '      pubic: true\n');
    const out = await refused('unknown-key.yaml', text);
    assert.match(
      out,
      /gateway\.routes\[0\]\.pubic \(line \d+\): unknown key "pubic" \(did you mean "public"\?\)/,
    );
  });

  it('names two routes equally specific for some request, and such a request', async () => {
    const extra = `    - name: invoices
      match: { path: /billing/**, methods: [GET] }
      public: true
      upstream: http://127.0.0.1:1
`;
    const out = await refused('ambiguous.yaml', exampleConfig(ports, extra));
    assert.ok(
      out.includes(
        'gateway.routes[1] (line 22): routes "billing" (/billing/**) and "invoices" (/billing/**) are equally specific for GET <any host>/billing: make one more specific, or give one a higher priority (the other is gateway.routes[3], line 32)',
      ),
      out,
    );
  });

  it('names a route that is neither public nor protected', async () => {
    const text = exampleConfig(ports).replace('      public: true\n', '');
    const out = await refused('no-requires.yaml', text);
    assert.match(
      out,
      /gateway\.routes\[0\] \(line \d+\): requires is missing \(routes are protected unless public: true\)/,
    );
  });

  it('names a missing environment variable ($SECRET_KEY unset)', async () => {
    const out = await refused('missing-env.yaml', exampleConfig(ports), { SECRET_KEY: undefined });
    assert.match(
      out,
      /gateway\.providers\.tutorial\.secret \(line \d+\): environment variable SECRET_KEY is not set/,
    );
  });

  it('names a value of the wrong type and what was expected', async () => {
    const text = exampleConfig(ports).replace(
      '      strip_prefix: /billing\n',
      '      strip_prefix: /billing\n      max_body_bytes: lots\n',
    );
    const out = await refused('bad-type.yaml', text);
    assert.match(out, /gateway\.routes\[1\]\.max_body_bytes \(line \d+\): must be integer/);
  });

  it('refuses before forking with --workers 2', async () => {
    const text = exampleConfig(ports).replace('  providers:\n', '  bogus: 1\n  providers:\n');
    const out = await refused('workers.yaml', text, {}, ['--workers', '2']);
    assert.match(out, /gateway\.bogus \(line \d+\): unknown key "bogus"/);
  });
});

describe('jwtgate gateway --watch', { timeout: 60_000 }, () => {
  const tmp = tempDir();
  let f: Awaited<ReturnType<typeof fixture>>;
  let gw: GatewayProcess;

  after(async () => {
    await gw?.stop();
    await f?.close();
    tmp.cleanup();
  });

  it('reloads when the file changes, and keeps the old config when the new one is invalid', async () => {
    f = await fixture();
    const file = tmp.write('jwtgate.yaml', exampleConfig(f.ports));
    gw = await startGateway(file, { args: ['--watch'] });
    const base = `http://127.0.0.1:${f.ports.gateway}`;
    assert.equal((await send(`${base}/watched`)).status, 404);
    tmp.write('jwtgate.yaml', exampleConfig(f.ports, publicRoute('watched', '/watched', f.ports.upstream1)));
    await waitForStatus(`${base}/watched`, 200);
    tmp.write('jwtgate.yaml', 'gateway: [this is not a config');
    await sleep(600);
    assert.equal((await send(`${base}/watched`)).status, 200, 'the running config stays');
    assert.match(gw.output(), /reload refused/);
  });
});

describe('jwtgate gateway --watch on a Kubernetes ConfigMap volume', { timeout: 60_000 }, () => {
  const tmp = tempDir();
  let f: Awaited<ReturnType<typeof fixture>>;
  let gw: GatewayProcess;

  after(async () => {
    await gw?.stop();
    await f?.close();
    tmp.cleanup();
  });

  /**
   * What the kubelet does to a ConfigMap volume (its atomic writer): the files live in a
   * timestamped folder, `..data` links to it, and each key's file links through `..data`. An
   * update writes a new folder, points `..data_tmp` at it and renames that over `..data`: the
   * file the gateway was given never changes itself.
   */
  function publish(version: number, text: string): void {
    const folder = `..2026_01_01_00_00_0${version}.${version}`;
    mkdirSync(join(tmp.dir, folder));
    writeFileSync(join(tmp.dir, folder, 'jwtgate.yaml'), text);
    symlinkSync(folder, join(tmp.dir, '..data_tmp'));
    renameSync(join(tmp.dir, '..data_tmp'), join(tmp.dir, '..data'));
    if (version === 1) symlinkSync('..data/jwtgate.yaml', join(tmp.dir, 'jwtgate.yaml'));
    else rmSync(join(tmp.dir, `..2026_01_01_00_00_0${version - 1}.${version - 1}`), { recursive: true });
  }

  it('reloads when the ConfigMap is updated (the ..data link swapped)', async () => {
    f = await fixture();
    publish(1, exampleConfig(f.ports));
    gw = await startGateway(join(tmp.dir, 'jwtgate.yaml'), { args: ['--watch'] });
    const base = `http://127.0.0.1:${f.ports.gateway}`;
    assert.equal((await send(`${base}/watched`)).status, 404);
    publish(2, exampleConfig(f.ports, publicRoute('watched', '/watched', f.ports.upstream1)));
    await waitForStatus(`${base}/watched`, 200);
    await gw.waitFor(/"msg":"configuration reloaded"/);
  });
});
