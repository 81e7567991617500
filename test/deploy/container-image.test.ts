// The container image, built and run for real with podman (run by .ci/run, not by npm test: the
// build takes a minute or more). The README walkthrough runs against `jwtgate demo` inside the
// image, through published ports, with its data directory a volume and a read-only root; then
// the gateway runs from the same image (read-only root, the configuration mounted read-only),
// answers its health check, and drains an in-flight request on SIGTERM.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import {
  bashSession,
  markedBlocks,
  type ShellCommand,
} from '../../packages/jwtgate/test/e2e/shell-blocks.ts';
import {
  assertPodman,
  freePort,
  IMAGE,
  podman,
  ROOT,
  runScript,
  sleep,
  volumeDir,
  waitForStatus,
} from './podman.ts';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const names: string[] = [];

/** `podman run -d` of the image; the container is removed after the tests. */
async function runContainer(name: string, args: readonly string[]): Promise<void> {
  names.push(name);
  await podman(['rm', '--force', name]);
  const started = await podman(['run', '--detach', '--name', name, ...args]);
  assert.equal(started.code, 0, `podman run failed:\n${started.stderr}`);
}

const logs = async (name: string) => {
  const r = await podman(['logs', name]);
  return r.stdout + r.stderr;
};

describe('the container image', () => {
  before(async (t) => {
    await assertPodman();
    const started = performance.now();
    assert.equal(await runScript(join(ROOT, '.ci/build-image.sh'), [IMAGE]), 0, '.ci/build-image.sh failed');
    const inspect = await podman(['image', 'inspect', IMAGE, '--format', '{{.Size}}']);
    t.diagnostic(
      `image ${IMAGE}: ${(Number(inspect.stdout) / 1e6).toFixed(1)} MB, built in ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
  });

  after(async () => {
    for (const name of names) await podman(['rm', '--force', '--time', '2', name]);
  });

  test('its user is not root, its entrypoint is the jwtgate CLI, it has a health check', async () => {
    const inspect = await podman(['image', 'inspect', IMAGE, '--format', 'json']);
    const [image] = JSON.parse(inspect.stdout) as {
      Config: { User: string; Entrypoint: string[]; Volumes: object };
      Healthcheck?: { Test: string[] };
    }[];
    assert.ok(image);
    assert.equal(image.Config.User, '10001:10001');
    assert.deepEqual(image.Config.Entrypoint, ['/opt/jwtgate/bin/jwtgate']);
    assert.match(image.Healthcheck?.Test.join(' ') ?? '', /JWTGATE_HEALTH_URL/);
    assert.ok('/var/lib/jwtgate' in image.Config.Volumes);
    const version = await podman(['run', '--rm', IMAGE, '--version']);
    assert.equal(
      version.stdout.trim(),
      JSON.parse(readFileSync(join(ROOT, 'packages/jwtgate/package.json'), 'utf8')).version,
    );
    const id = await podman(['run', '--rm', '--entrypoint', 'id', IMAGE]);
    assert.match(id.stdout, /^uid=10001\(jwtgate\) gid=10001\(jwtgate\)/);
  });

  test('the README walkthrough against jwtgate demo in the image (read-only root, data in a volume)', async () => {
    const data = volumeDir('jwtgate-image-demo-');
    const ports = { issuer: await freePort(), gateway: await freePort() };
    await runContainer('jwtgate-test-demo', [
      '--read-only',
      '--read-only-tmpfs=false',
      '--publish',
      `127.0.0.1:${ports.issuer}:8080`,
      '--publish',
      `127.0.0.1:${ports.gateway}:9001`,
      '--volume',
      `${data}:/var/lib/jwtgate`,
      IMAGE,
      'demo',
      '--token-lifetime',
      '3',
    ]);
    // The walkthrough's `.data/demo/...` is the volume's, seen from the host.
    const shell = bashSession({ cwd: data });
    try {
      assert.equal(
        await waitForStatus(`http://127.0.0.1:${ports.issuer}/healthz`, 200),
        200,
        await logs('jwtgate-test-demo'),
      );
      const health = await podman(['healthcheck', 'run', 'jwtgate-test-demo']);
      assert.equal(health.code, 0, `the image's health check passes: ${health.stdout}${health.stderr}`);
      const adapt = (line: string) =>
        line
          .replaceAll('localhost:8080', `localhost:${ports.issuer}`)
          .replaceAll('localhost:9001', `localhost:${ports.gateway}`);
      const blocks = markedBlocks(README, 'walkthrough');
      assert.equal(blocks.length, 7);
      await shell.runBlock(blocks[0] as ShellCommand[], adapt);
      const tokenAt = Date.now();
      await shell.runBlock(blocks[1] as ShellCommand[], adapt);
      await shell.runBlock(blocks[2] as ShellCommand[], adapt);
      await sleep(Math.max(0, tokenAt + 4000 - Date.now()));
      for (const block of blocks.slice(3)) await shell.runBlock(block, adapt);

      const write = await podman([
        'exec',
        'jwtgate-test-demo',
        'sh',
        '-c',
        'touch /opt/jwtgate/x || touch /x',
      ]);
      assert.notEqual(write.code, 0);
      assert.match(write.stderr, /Read-only file system/);
      const stop = await podman(['stop', '--time', '10', 'jwtgate-test-demo']);
      assert.equal(stop.code, 0);
      const state = await podman(['inspect', 'jwtgate-test-demo', '--format', '{{.State.ExitCode}}']);
      assert.equal(state.stdout.trim(), '0', 'SIGTERM stops the demo cleanly');
      assert.match(await logs('jwtgate-test-demo'), /"msg":"stopped"/);
    } finally {
      await shell.close();
      await podman(['rm', '--force', 'jwtgate-test-demo']);
      rmSync(data, { recursive: true, force: true });
    }
  });

  describe('jwtgate gateway in the image', () => {
    const secret = 'a-gateway-test-secret-of-at-least-32-bytes!';
    let upstream: Server;
    let upstreamPort: number;
    let ports: { listen: number; admin: number };
    let configDir: string;
    const releases: (() => void)[] = [];

    before(async () => {
      // What the gateway protects: answers with the identity it was given; /slow waits to be released.
      upstream = createServer((req, res) => {
        const answer = () =>
          res
            .writeHead(200, { 'content-type': 'text/plain' })
            .end(`upstream saw ${req.headers['x-user-id'] ?? '-'} ${req.url}`);
        if (req.url?.startsWith('/slow')) releases.push(answer);
        else answer();
      });
      await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
      upstreamPort = (upstream.address() as { port: number }).port;
      ports = { listen: await freePort(), admin: await freePort() };
      configDir = volumeDir('jwtgate-image-gateway-');
      writeFileSync(
        join(configDir, 'jwtgate.yaml'),
        [
          'gateway:',
          `  listen: 127.0.0.1:${ports.listen}`,
          `  admin: { listen: 127.0.0.1:${ports.admin} }`,
          '  providers:',
          '    main:',
          '      issuer: https://issuer.test',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: interpolated by the gateway from its environment
          '      secret: ${SECRET_KEY}',
          '      algorithms: [HS256]',
          '      audiences: [api://test]',
          '  routes:',
          '    - name: api',
          '      match: { path: /api/** }',
          '      requires: { provider: main }',
          `      upstream: http://127.0.0.1:${upstreamPort}`,
          '      strip_prefix: /api',
          '      identity_headers: { X-User-Id: sub }',
          '',
        ].join('\n'),
      );
      // Host networking: the gateway reaches the upstream on the host's loopback.
      await runContainer('jwtgate-test-gateway', [
        '--network',
        'host',
        '--read-only',
        '--read-only-tmpfs=false',
        '--volume',
        `${configDir}:/etc/jwtgate:ro`,
        '--env',
        `SECRET_KEY=${secret}`,
        '--env',
        `JWTGATE_HEALTH_URL=http://127.0.0.1:${ports.admin}/healthz`,
        IMAGE,
        'gateway',
        '--config',
        '/etc/jwtgate/jwtgate.yaml',
      ]);
    });

    after(async () => {
      for (const release of releases.splice(0)) release();
      await podman(['rm', '--force', 'jwtgate-test-gateway']);
      await new Promise((r) => upstream.close(r));
      rmSync(configDir, { recursive: true, force: true });
    });

    const token = () =>
      new SignJWT({ sub: 'alice' })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('https://issuer.test')
        .setAudience('api://test')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(secret));

    test('ready on /readyz, healthy, 401 without a token, the upstream with one', async () => {
      assert.equal(
        await waitForStatus(`http://127.0.0.1:${ports.admin}/readyz`, 200),
        200,
        await logs('jwtgate-test-gateway'),
      );
      const health = await podman(['healthcheck', 'run', 'jwtgate-test-gateway']);
      assert.equal(health.code, 0, `health check: ${health.stdout}${health.stderr}`);
      assert.equal((await fetch(`http://127.0.0.1:${ports.listen}/api/x`)).status, 401);
      const res = await fetch(`http://127.0.0.1:${ports.listen}/api/x`, {
        headers: { authorization: `Bearer ${await token()}` },
      });
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'upstream saw alice /x');
      const inspect = await podman([
        'inspect',
        'jwtgate-test-gateway',
        '--format',
        '{{.HostConfig.ReadonlyRootfs}}',
      ]);
      assert.equal(inspect.stdout.trim(), 'true');
    });

    test('SIGTERM drains: the in-flight request completes, then the container exits 0', async () => {
      const inFlight = fetch(`http://127.0.0.1:${ports.listen}/api/slow`, {
        headers: { authorization: `Bearer ${await token()}` },
      });
      while (releases.length === 0) await sleep(20);
      const stopping = podman(['stop', '--time', '15', 'jwtgate-test-gateway']);
      // The gateway stops accepting: new connections are refused while the old one finishes.
      let refused = false;
      for (let i = 0; i < 100 && !refused; i++) {
        refused = await fetch(`http://127.0.0.1:${ports.listen}/api/x`).then(
          () => false,
          () => true,
        );
        if (!refused) await sleep(50);
      }
      assert.ok(refused, 'no new connections once draining');
      for (const release of releases.splice(0)) release();
      const res = await inFlight;
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'upstream saw alice /slow');
      assert.equal((await stopping).code, 0);
      const state = await podman(['inspect', 'jwtgate-test-gateway', '--format', '{{.State.ExitCode}}']);
      assert.equal(state.stdout.trim(), '0');
    });
  });
});
