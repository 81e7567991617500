// Every example under examples/ has a README whose commands run as written: its blocks marked
// `<!-- run -->` run in one bash session at the repository root, each command's output checked
// against the `# ...` lines after it (shell-blocks.ts). Only the ports (free ones instead of the
// README's) and the data folders (a temporary one) differ; a configuration file the README
// names is copied with the same ports. The commands are npm scripts, so they run on the
// repository's Node 24 whatever `node` the machine has.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { freePort } from './harness.ts';
import { bashSession, markedBlocks } from './shell-blocks.ts';

const ROOT = new URL('../../../../', import.meta.url).pathname;

interface ExampleSpec {
  readonly name: string;
  /** The ports the README uses, replaced by free ones. */
  readonly ports: readonly number[];
  /** Configuration files the README names (from the repository root), copied with the ports replaced. */
  readonly files?: readonly string[];
  /** The README's data folder, replaced by a temporary one. */
  readonly data?: string;
}

const EXAMPLES: readonly ExampleSpec[] = [
  { name: 'express', ports: [3000] },
  { name: 'fastify', ports: [3000] },
  { name: 'node-http', ports: [3000] },
  {
    name: 'gateway',
    ports: [9001, 7001, 7002, 7777],
    files: ['examples/gateway/jwtgate.yaml'],
    data: '.data/gateway-example',
  },
  {
    name: 'webapp',
    ports: [8080, 9001, 3000, 7101],
    files: ['examples/webapp/gateway.yaml'],
    data: '.data/webapp-example',
  },
  {
    name: 'signed-identity',
    ports: [9001, 9901, 7301],
    files: ['examples/signed-identity/gateway.yaml'],
    data: '.data/signed-identity-example',
  },
];

/** Examples whose README needs a person at a browser: their blocks are run by the test named. */
const RUN_ELSEWHERE: Readonly<Record<string, string>> = {
  'cli-device': 'cli-device-readme.test.ts (it approves the code the README run prints, as the user would)',
  spa: 'spa-browser.test.ts (it signs in and calls the API in Chromium, as the user would)',
};

const userEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const name of [
    'SECRET_KEY',
    'JWKS_URL',
    'JWTGATE_STORE',
    'JWTGATE_KEY_ENCRYPTION_KEY',
    'JWTGATE_ADMIN_TOKEN',
  ])
    delete env[name];
  return env;
};

describe('the examples run as their READMEs say', { timeout: 180_000 }, () => {
  test('every folder under examples/ has a README with commands that a test runs', () => {
    const folders = readdirSync(join(ROOT, 'examples'), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    assert.deepEqual(folders, [...EXAMPLES.map((e) => e.name), ...Object.keys(RUN_ELSEWHERE)].sort());
  });

  for (const example of EXAMPLES) {
    test(`examples/${example.name}/README.md`, async (t) => {
      const work = mkdtempSync(join(tmpdir(), `jwtgate-example-${example.name}-`));
      const ports = new Map<string, string>();
      for (const port of example.ports) ports.set(String(port), String(await freePort()));
      const swapPorts = (text: string, before: RegExp) =>
        text.replace(before, (whole, port: string) =>
          ports.has(port) ? whole.replace(port, ports.get(port) as string) : whole,
        );
      const paths = new Map<string, string>();
      for (const file of example.files ?? []) {
        const copy = join(work, file.replaceAll('/', '_'));
        writeFileSync(copy, swapPorts(readFileSync(join(ROOT, file), 'utf8'), /:(\d{4})(?!\d)/g));
        paths.set(file, copy);
      }
      if (example.data) paths.set(example.data, join(work, 'data'));
      const adapt = (line: string) => {
        let out = swapPorts(line, /[:= ](\d{4})(?!\d)/g);
        for (const [from, to] of paths) out = out.replaceAll(from, to);
        return out;
      };
      const readme = readFileSync(join(ROOT, 'examples', example.name, 'README.md'), 'utf8');
      const blocks = markedBlocks(readme, 'run', (line) => {
        let out = line;
        for (const [from, to] of paths) out = out.replaceAll(from, to);
        return out;
      });
      assert.ok(blocks.length > 0, 'the README has <!-- run --> blocks');
      const shell = bashSession({ cwd: ROOT, env: userEnv() });
      try {
        for (const block of blocks) await shell.runBlock(block, adapt);
        t.diagnostic(`${blocks.flat().length} commands ran as written`);
      } finally {
        await shell.close();
        rmSync(work, { recursive: true, force: true });
      }
    });
  }
});
