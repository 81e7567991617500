// bench/lib/processes: the child processes a bench starts, and how they end. Each child leads
// its own process group, so stopping it also stops what it forked (taskset's exec, cluster
// workers, nginx workers); everything still running is killed when the bench exits, and the
// scratch folder goes with it. Everything listens on 127.0.0.1 only.

import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export { freePort, sleep } from './ports.ts';

/** The repository's root folder. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The jwtgate CLI, run from source. */
export const CLI = join(ROOT, 'packages/jwtgate/src/cli.ts');

const children = new Set<ChildProcess>();
let scratchDir: string | null = null;

/** A temporary folder for this run (created on first use, removed on exit). */
export function scratch(): string {
  scratchDir ??= mkdtempSync(join(tmpdir(), 'jwtgate-bench-'));
  return scratchDir;
}

/** The path of an executable on PATH or in the sbin folders, or null. */
export function findTool(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {}
  }
  return null;
}

/** The paths of `names`, or exits with how to install the missing ones (Debian package names). */
export function requireTools<T extends string>(names: Record<T, string>, bench: string): Record<T, string> {
  const found = {} as Record<T, string>;
  const missing: string[] = [];
  for (const name of Object.keys(names) as T[]) {
    const path = findTool(name);
    if (path === null) missing.push(names[name]);
    else found[name] = path;
  }
  if (missing.length > 0) {
    process.stderr.write(
      `${bench} needs ${missing.join(', ')} (only for this benchmark, not for install, tests or CI). On Debian:\n\n` +
        `  sudo apt-get update && sudo apt-get install -y ${missing.join(' ')}\n`,
    );
    process.exit(1);
  }
  return found;
}

/** `command argv` run under `taskset -c cpu` when `cpu` is given. */
export function pinned(
  taskset: string | null,
  cpu: string | null,
  command: string,
  argv: string[],
): [string, string[]] {
  return cpu === null || taskset === null ? [command, argv] : [taskset, ['-c', cpu, command, ...argv]];
}

export interface Started {
  readonly child: ChildProcess;
  /** The process group: the child and everything it forked. */
  readonly pgid: number;
  /** The last 20,000 characters of its stdout and stderr (stdout only when piped). */
  output(): string;
}

let devNull: number | null = null;

export interface StartOptions {
  /** `null`: stdout to /dev/null (a gateway's access lines), else kept for errors. Default 'pipe'. */
  readonly stdout?: 'null' | 'pipe';
  readonly env?: NodeJS.ProcessEnv;
}

/** Starts `command` in its own process group; it is stopped when the bench exits at the latest. */
export function start(command: string, argv: string[], options: StartOptions = {}): Started {
  devNull ??= openSync('/dev/null', 'w');
  const child = spawn(command, argv, {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', options.stdout === 'null' ? devNull : 'pipe', 'pipe'],
    ...(options.env ? { env: options.env } : {}),
  });
  children.add(child);
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.once('exit', () => children.delete(child));
  return { child, pgid: child.pid ?? -1, output: () => output };
}

/** Node (this one, 24) running a TypeScript file from source. */
export function startNode(
  taskset: string | null,
  cpu: string | null,
  argv: string[],
  options: StartOptions = {},
): Started {
  const [c, a] = pinned(taskset, cpu, process.execPath, ['--conditions=jwtgate-source', ...argv]);
  return start(c, a, options);
}

export function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || exited(child)) return;
  try {
    process.kill(-child.pid, signal);
  } catch {}
}

/** SIGTERM to the group, SIGKILL after `graceMs`; then any straggler of the group. */
export async function stop(started: Started | ChildProcess, graceMs = 5000): Promise<void> {
  const child = 'child' in started ? started.child : started;
  if (exited(child)) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  } catch {}
}

/** Process groups of every child still running (for CPU accounting). */
export function childGroups(): Set<number> {
  return new Set([...children].map((c) => c.pid).filter((p): p is number => p !== undefined));
}

process.on('exit', () => {
  for (const child of children) killGroup(child, 'SIGKILL');
  if (scratchDir !== null) rmSync(scratchDir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void Promise.allSettled([...children].map((c) => stop(c, 1000))).then(() => process.exit(130));
  });
}
