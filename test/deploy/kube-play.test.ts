// The Kubernetes Deployments of deploy/kubernetes run for real with `podman kube play` (run by
// .ci/run, not npm test): the issuer on the machine's PostgreSQL and the gateway on its Redis,
// their settings from podman secrets made from the same Secret keys, the gateway's configuration
// from the ConfigMap as a volume. What changes for the machine: one replica each (the pods share
// the host's network, so two would want the same port), free ports, the machine's addresses
// (http on loopback, where the cluster would use the issuer's https URL), the local image, and no
// declared container ports (podman would turn them into port mappings, which it refuses on the
// host's network). The security context, probes' endpoints, environment, volumes and arguments
// are the manifests'.
// Both pods must answer /readyz; then a token from the issuer passes the gateway, and a
// revocation reaches the gateway through Redis. Services, autoscaler and disruption budgets are
// only validated (test/kubernetes/manifests.test.ts): podman has no cluster to give them to.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { createScratch, type PostgresScratch } from '../../packages/jwtgate/test/issuer/postgres-helpers.ts';
import { assertPodman, freePort, IMAGE, podman, ROOT, runScript, sleep, waitForStatus } from './podman.ts';

const DIR = join(ROOT, 'deploy/kubernetes');
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const AUDIENCE = 'api://kube-play';

// biome-ignore lint/suspicious/noExplicitAny: manifests are edited loosely here; the schemas checked them
type Obj = any;

const read = (file: string): Obj => parse(readFileSync(join(DIR, file), 'utf8'));
const secretName = (name: string) => `kube-play-${name}`;

/** Points a container's named port (and so every probe and Service using the name) elsewhere. */
function movePort(container: Obj, name: string, port: number): void {
  const declared = container.ports.find((p: Obj) => p.name === name);
  assert.ok(declared, `port ${name}`);
  declared.containerPort = port;
}

/** podman 4 reads a secretKeyRef from a podman secret holding `{ key: base64 }`. */
async function createSecret(dir: string, name: string, values: Record<string, string>): Promise<void> {
  await podman(['secret', 'rm', name]);
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    ),
    { mode: 0o600 },
  );
  const r = await podman(['secret', 'create', name, file]);
  rmSync(file);
  assert.equal(r.code, 0, r.stderr);
}

describe('deploy/kubernetes with podman kube play', { timeout: 600_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'jwtgate-kube-'));
  const prefix = `jwtgate-kube-${randomBytes(4).toString('hex')}:`;
  let pg: PostgresScratch;
  let upstream: Server;
  let ports: { issuer: number; gateway: number; admin: number; upstream: number };
  let kubeFile: string;

  before(async (t) => {
    await assertPodman();
    assert.equal(await runScript(join(ROOT, '.ci/build-image.sh'), [IMAGE]), 0, '.ci/build-image.sh failed');
    pg = await createScratch('kube');
    upstream = createServer((req, res) =>
      res
        .writeHead(200, { 'content-type': 'text/plain' })
        .end(`upstream saw ${req.headers['x-client-id']} ${req.url}`),
    );
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    ports = {
      issuer: await freePort(),
      gateway: await freePort(),
      admin: await freePort(),
      upstream: (upstream.address() as { port: number }).port,
    };
    const issuerUrl = `http://127.0.0.1:${ports.issuer}`;

    // The Secrets the manifests read, with this machine's values.
    await createSecret(work, secretName('jwtgate-issuer'), {
      'database-url': pg.storeUrl(),
      'key-encryption-key': randomBytes(32).toString('base64'),
    });
    await createSecret(work, secretName('jwtgate-redis'), { url: REDIS_URL });

    const issuer = read('issuer-deployment.yaml');
    const gateway = read('gateway-deployment.yaml');
    const configMap = read('gateway-configmap.yaml');
    for (const d of [issuer, gateway]) {
      d.spec.replicas = 1;
      const c = d.spec.template.spec.containers[0];
      c.image = IMAGE;
      for (const env of c.env)
        if (env.valueFrom?.secretKeyRef)
          env.valueFrom.secretKeyRef.name = secretName(env.valueFrom.secretKeyRef.name);
      // The optional admin token is not set here; podman has no optional secret references.
      c.env = c.env.filter((e: Obj) => !e.valueFrom?.secretKeyRef?.optional);
    }
    const ic = issuer.spec.template.spec.containers[0];
    ic.args = ic.args.map((a: string) =>
      a.startsWith('--port=')
        ? `--port=${ports.issuer}`
        : a.startsWith('--issuer-url=')
          ? `--issuer-url=${issuerUrl}`
          : a,
    );
    ic.args.push(`--redis-prefix=${prefix}`);
    movePort(ic, 'http', ports.issuer);
    const gc = gateway.spec.template.spec.containers[0];
    movePort(gc, 'http', ports.gateway);
    movePort(gc, 'admin', ports.admin);
    // On the host's network podman turns declared ports into port mappings, which it refuses
    // there: the probes get the numbers their names stand for, and the declarations go.
    for (const c of [ic, gc]) {
      for (const probe of [c.startupProbe, c.livenessProbe, c.readinessProbe])
        probe.httpGet.port = c.ports.find((p: Obj) => p.name === probe.httpGet.port).containerPort;
      delete c.ports;
    }

    // The ConfigMap's configuration, with this machine's addresses.
    const config = parse(configMap.data['jwtgate.yaml']);
    config.gateway.listen = `127.0.0.1:${ports.gateway}`;
    config.gateway.admin.listen = `127.0.0.1:${ports.admin}`;
    config.gateway.redis.key_prefix = prefix;
    config.gateway.providers = {
      jwtgate: {
        issuer: issuerUrl,
        jwks_uri: `${issuerUrl}/.well-known/jwks.json`,
        algorithms: ['ES256'],
        audiences: [AUDIENCE],
        token_types: ['at+jwt'],
      },
    };
    config.gateway.routes[0].upstream = `http://127.0.0.1:${ports.upstream}`;
    configMap.data['jwtgate.yaml'] = stringify(config);
    writeFileSync(join(work, 'configmap.yaml'), stringify(configMap));
    kubeFile = join(work, 'deployments.yaml');
    writeFileSync(kubeFile, `${stringify(issuer)}---\n${stringify(gateway)}`);
    assert.equal(parseAllDocuments(readFileSync(kubeFile, 'utf8')).length, 2);

    await podman(['kube', 'down', kubeFile]);
    const started = performance.now();
    const play = await podman([
      'kube',
      'play',
      '--network',
      'host',
      '--configmap',
      join(work, 'configmap.yaml'),
      kubeFile,
    ]);
    assert.equal(play.code, 0, `podman kube play failed:\n${play.stdout}${play.stderr}`);
    t.diagnostic(`podman kube play: ${(performance.now() - started).toFixed(0)} ms`);
  });

  after(async () => {
    if (kubeFile) await podman(['kube', 'down', kubeFile]);
    for (const name of ['jwtgate-issuer', 'jwtgate-redis']) await podman(['secret', 'rm', secretName(name)]);
    await new Promise((r) => upstream?.close(r));
    await pg?.drop();
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect().catch(() => {});
    const keys = await redis.keys(`${prefix}*`).catch(() => [] as string[]);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    rmSync(work, { recursive: true, force: true });
  });

  const logs = async (name: string) => {
    const r = await podman(['logs', `${name}-pod-0-${name.replace('jwtgate-', '')}`]);
    return r.stdout + r.stderr;
  };

  test('the issuer pod answers /readyz (its store on PostgreSQL) and /healthz', async () => {
    const status = await waitForStatus(`http://127.0.0.1:${ports.issuer}/readyz`, 200, 90_000);
    assert.equal(status, 200, await logs('jwtgate-issuer'));
    const ready = (await (await fetch(`http://127.0.0.1:${ports.issuer}/readyz`)).json()) as Obj;
    assert.deepEqual({ store: ready.store, redis: ready.redis }, { store: 'up', redis: 'up' });
    assert.equal((await fetch(`http://127.0.0.1:${ports.issuer}/healthz`)).status, 200);
  });

  test('the gateway pod answers /readyz on its admin listener (keys fetched, Redis up)', async () => {
    const status = await waitForStatus(`http://127.0.0.1:${ports.admin}/readyz`, 200, 90_000);
    assert.equal(status, 200, await logs('jwtgate-gateway'));
    assert.equal((await fetch(`http://127.0.0.1:${ports.admin}/healthz`)).status, 200);
  });

  test('the containers run as in the manifests: uid 10001, read-only root, no capabilities', async () => {
    for (const name of ['jwtgate-issuer-pod-0-issuer', 'jwtgate-gateway-pod-0-gateway']) {
      const id = await podman(['exec', name, 'id', '-u']);
      assert.equal(id.stdout.trim(), '10001', name);
      const write = await podman(['exec', name, 'touch', '/opt/x']);
      assert.match(write.stderr, /Read-only file system/, name);
      const caps = await podman(['exec', name, 'grep', 'CapEff', '/proc/self/status']);
      assert.match(caps.stdout, /CapEff:\s+0{16}/, name);
      const config = await podman(['exec', name, 'ls', '/etc/jwtgate']);
      if (name.includes('gateway')) assert.match(config.stdout, /jwtgate\.yaml/);
    }
  });

  test('a client registered in the issuer pod gets a token the gateway accepts; a revocation reaches it through Redis', async () => {
    // The administration CLI in the issuer's container finds the store in its environment.
    const added = await podman([
      'exec',
      'jwtgate-issuer-pod-0-issuer',
      'jwtgate',
      'clients',
      'add',
      'kube-client',
      '--audience',
      AUDIENCE,
      '--json',
    ]);
    assert.equal(added.code, 0, added.stderr);
    const secret = (JSON.parse(added.stdout) as { client_secret: string }).client_secret;
    const basic = `Basic ${Buffer.from(`kube-client:${secret}`).toString('base64')}`;
    const form = { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' };
    const issued = await fetch(`http://127.0.0.1:${ports.issuer}/token`, {
      method: 'POST',
      headers: form,
      body: `grant_type=client_credentials&resource=${encodeURIComponent(AUDIENCE)}`,
    });
    assert.equal(issued.status, 200);
    const { access_token } = (await issued.json()) as { access_token: string };
    const call = () =>
      fetch(`http://127.0.0.1:${ports.gateway}/example/orders`, {
        headers: { authorization: `Bearer ${access_token}` },
      });
    assert.equal((await fetch(`http://127.0.0.1:${ports.gateway}/example/orders`)).status, 401);
    const allowed = await call();
    assert.equal(allowed.status, 200);
    assert.equal(await allowed.text(), 'upstream saw kube-client /orders');

    const revoked = await fetch(`http://127.0.0.1:${ports.issuer}/token/revocation`, {
      method: 'POST',
      headers: form,
      body: `token=${access_token}`,
    });
    assert.equal(revoked.status, 200);
    let status = 200;
    for (let i = 0; i < 50 && status === 200; i++) {
      await sleep(100);
      status = (await call()).status;
    }
    assert.equal(status, 401, 'the revocation reached the gateway (issuer -> Redis -> gateway)');
  });
});
