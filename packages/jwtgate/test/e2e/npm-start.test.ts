// End to end: `npm start` stopped by a signal to the npm process alone (a process manager, `kill
// <pid>`), not to its whole group as a terminal's Ctrl-C does (walkthrough.test.ts covers that):
// npm forwards the signal to its script's child, so nothing may be left holding the ports.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { freePort, sleep } from './harness.ts';

const ROOT = new URL('../../../../', import.meta.url).pathname;

/** Whether something accepts connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The pids of the processes whose parent is `pid` (from /proc: no ps needed). */
function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of /proc/<pid>/stat is the parent pid; the name (field 2) may hold spaces.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  describe(`npm start, ${signal} to the npm process only`, () => {
    test('npm and the demo under it exit; both ports are free again', async () => {
      const ports = { issuer: await freePort(), gateway: await freePort() };
      const dataDir = mkdtempSync(join(tmpdir(), 'jwtgate-npm-start-'));
      const env: NodeJS.ProcessEnv = { ...process.env };
      delete env.SECRET_KEY;
      delete env.JWTGATE_KEY_ENCRYPTION_KEY;
      const npm = spawn(
        'npm',
        [
          'start',
          '--',
          `--issuer-port=${ports.issuer}`,
          `--gateway-port=${ports.gateway}`,
          `--data-dir=${dataDir}`,
        ],
        // Its own process group, only so that the cleanup below can reach a process npm left behind.
        { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
      );
      let output = '';
      npm.stdout.on('data', (d) => {
        output += d;
      });
      npm.stderr.on('data', (d) => {
        output += d;
      });
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        npm.on('exit', (code, sig) => resolve({ code, signal: sig })),
      );
      let children: number[] = [];
      try {
        const deadline = Date.now() + 30_000;
        while (!output.includes('"msg":"ready"')) {
          if (npm.exitCode !== null) throw new Error(`npm start exited with ${npm.exitCode}:\n${output}`);
          if (Date.now() > deadline) throw new Error(`npm start never got ready:\n${output}`);
          await sleep(20);
        }
        children = childrenOf(npm.pid as number);
        assert.ok(children.length > 0, 'npm runs the demo as its child');
        assert.ok(await listening(ports.issuer));
        assert.ok(await listening(ports.gateway));

        npm.kill(signal);
        const { code, signal: by } = await Promise.race([
          exited,
          sleep(15_000).then(() => {
            throw new Error(`npm did not exit within 15 s of ${signal}:\n${output}`);
          }),
        ]);
        // npm ends with its script's status, or re-raises the signal it forwarded.
        assert.ok(code === 0 || by === signal, `npm exited with ${code ?? by}:\n${output}`);
        assert.match(output, /"msg":"stopped"/, 'the demo stopped in order');
        for (const pid of children) {
          const until = Date.now() + 5000;
          while (alive(pid) && Date.now() < until) await sleep(20);
          assert.ok(!alive(pid), `process ${pid} under npm is gone`);
        }
        assert.equal(await listening(ports.issuer), false, `nothing listens on ${ports.issuer}`);
        assert.equal(await listening(ports.gateway), false, `nothing listens on ${ports.gateway}`);
      } finally {
        try {
          process.kill(-(npm.pid as number), 'SIGKILL');
        } catch {
          // the group is gone: nothing was left behind
        }
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
}
