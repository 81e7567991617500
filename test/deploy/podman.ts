// podman as the deployment tests drive it on the project's machines (see .ci/build-image.sh and
// docs/container.md): the runc runtime and a containers.conf without ulimits.
import { execFile, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const IMAGE = process.env.JWTGATE_IMAGE ?? 'localhost/jwtgate:dev';
const ENV = { ...process.env, CONTAINERS_CONF: join(ROOT, '.ci/containers.conf') };

export interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `podman <args>`; `run` and `kube play` get the runc runtime. */
export function podman(args: readonly string[]): Promise<Result> {
  // --runtime is a global option: before the command.
  const full =
    args[0] === 'run' || (args[0] === 'kube' && args[1] === 'play') ? ['--runtime', 'runc', ...args] : args;
  return new Promise((resolve) => {
    execFile('podman', full, { env: ENV, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (err as { code?: unknown }).code : 0;
      resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
    });
  });
}

/** Runs a script to its end with its output shown (for the image build, which takes a while). */
export function runScript(file: string, args: readonly string[] = []): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { cwd: ROOT, env: ENV, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** GETs until the answer has `status` (or the deadline passes); returns the last status (0: no answer). */
export async function waitForStatus(url: string, status: number, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = 0;
  while (Date.now() < deadline) {
    last = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.status,
      () => 0,
    );
    if (last === status) return last;
    await sleep(250);
  }
  return last;
}

/** A host folder the image's user (uid 10001) can write: the data volume of a test container. */
export function volumeDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (process.getuid?.() === 0) chownSync(dir, 10001, 10001);
  else chmodSync(dir, 0o777);
  return dir;
}

/** Fails with a clear message when podman is missing (never a skip: CI counts a skip as a failure). */
export async function assertPodman(): Promise<void> {
  const version = await podman(['--version']);
  if (version.code !== 0)
    throw new Error(
      'podman is not installed: .ci/build-image.sh installs it (apt-get install podman buildah runc)',
    );
}
