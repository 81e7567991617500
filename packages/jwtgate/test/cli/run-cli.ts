// Runs the real CLI as a child process, the way a script would.
import { execFile } from 'node:child_process';

export const CLI = new URL('../../src/cli.ts', import.meta.url).pathname;

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function cli(
  args: readonly string[],
  env: Record<string, string> = {},
  cwd?: string,
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--conditions=jwtgate-source', CLI, ...args],
      { env: { ...process.env, NO_COLOR: '1', ...env }, ...(cwd ? { cwd } : {}) },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
  });
}
