// Runs the shell blocks of a Markdown file as written, in one bash session, the way a reader
// pastes them into a terminal. A block is run when the line before its fence is a marker comment
// (`<!-- walkthrough -->`, `<!-- run -->`). Each command's output must match the `# ...` lines
// that follow it (`...` stands for anything), or be empty when none follow.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';

export interface ShellCommand {
  readonly line: string;
  /** The `# ...` lines after it, as a pattern; null: no output expected. */
  readonly expected: RegExp | null;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The blocks after `<!-- marker -->`, each a list of commands with their expected output;
 * `adaptExpected` rewrites the expected lines as the commands will be (other ports, paths).
 */
export function markedBlocks(
  markdown: string,
  marker: string,
  adaptExpected: (line: string) => string = (line) => line,
): ShellCommand[][] {
  const fence = new RegExp(`<!-- ${marker} -->\\n\`\`\`(?:sh|bash)\\n([\\s\\S]*?)\`\`\``, 'g');
  return [...markdown.matchAll(fence)].map((m) => {
    const commands: { line: string; comments: string[] }[] = [];
    let continued = false;
    for (const line of (m[1] as string).split('\n')) {
      if (line.trim() === '') continue;
      if (continued) {
        const last = commands.at(-1) as { line: string };
        last.line += `\n${line}`;
      } else if (line.startsWith('#'))
        commands.at(-1)?.comments.push(adaptExpected(line.replace(/^# ?/, '')));
      else commands.push({ line, comments: [] });
      continued = line.endsWith('\\');
    }
    return commands.map(({ line, comments }) => ({
      line,
      expected:
        comments.length === 0
          ? null
          : new RegExp(
              `^${comments
                .join('\n')
                .split('...')
                .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
                .join('.*')}$`,
            ),
    }));
  });
}

export interface BashSession {
  run(line: string, timeoutMs?: number): Promise<{ output: string; status: number }>;
  /** Runs every command of a block, each checked against its expected output; returns the outputs. */
  runBlock(block: readonly ShellCommand[], adapt?: (line: string) => string): Promise<string[]>;
  /** Ends the session and everything it started in the background (its whole process group). */
  close(): Promise<void>;
}

/**
 * One bash session: variables set by a command stay for the next ones, as in a terminal. It runs
 * in its own process group, so `close` also stops what a command left running with `&`.
 */
export function bashSession(options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): BashSession {
  const bash: ChildProcess = spawn('bash', ['--noprofile', '--norc'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env: options.env ?? process.env,
  });
  const exited = new Promise<void>((resolve) => bash.once('exit', () => resolve()));
  let out = '';
  bash.stdout?.on('data', (d) => {
    out += d;
  });
  bash.stderr?.on('data', (d) => {
    out += d;
  });
  let n = 0;
  const session: BashSession = {
    async run(line, timeoutMs = 20_000) {
      const marker = `@@done-${++n}@@`;
      out = '';
      bash.stdin?.write(`${line}\nprintf '\\n${marker} %d\\n' $?\n`);
      const deadline = Date.now() + timeoutMs;
      const end = new RegExp(`\\n?${marker} (\\d+)\\n`);
      for (;;) {
        const m = end.exec(out);
        if (m) return { output: out.slice(0, m.index), status: Number(m[1]) };
        if (bash.exitCode !== null) throw new Error(`bash exited running: ${line}\n${out}`);
        if (Date.now() > deadline) throw new Error(`timed out running: ${line}\n${out}`);
        await sleep(10);
      }
    },
    async runBlock(block, adapt = (line) => line) {
      const outputs: string[] = [];
      for (const command of block) {
        const { output, status } = await session.run(adapt(command.line));
        assert.equal(status, 0, `${command.line} exited with ${status}: ${output}`);
        const text = output.replace(/\n$/, '');
        if (command.expected === null) assert.equal(text, '', `${command.line} printed nothing`);
        else assert.match(text, command.expected, command.line);
        outputs.push(text);
      }
      return outputs;
    },
    async close() {
      bash.stdin?.end();
      try {
        process.kill(-(bash.pid as number), 'SIGTERM');
      } catch {
        // already gone
      }
      await exited;
    },
  };
  return session;
}
