// The sample web app of examples/webapp as a real process, for the end-to-end login tests.
import { type ChildProcess, spawn } from 'node:child_process';

export const WEBAPP = new URL('../../../../examples/webapp/server.ts', import.meta.url).pathname;

export interface WebAppProcess {
  readonly child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then SIGKILL after 5 s. */
  stop(): Promise<void>;
}

/** Starts the web app with `env` added to this process's; resolves once it listens (20 s at most). */
export async function startWebApp(env: Record<string, string>): Promise<WebAppProcess> {
  const child = spawn(process.execPath, [WEBAPP], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const app: WebAppProcess = {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the web app did not start:\n${output}`));
    }, 20_000);
    child.stdout?.on('data', (d: Buffer) => {
      output += d;
      if (output.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr?.on('data', (d: Buffer) => {
      output += d;
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the web app exited:\n${output}`));
    });
  });
  return app;
}
