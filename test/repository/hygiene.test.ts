// The repository's own files a user or contributor reads first: the licence the packages name,
// the changelog's format, the security policy and the contributing guide, and every `npm run`
// script the docs, the changelog and the benches' READMEs tell anyone to type.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

const ROOT = new URL('../../', import.meta.url).pathname;
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const manifest = (path: string) =>
  JSON.parse(read(path)) as { license?: string; scripts?: Record<string, string>; private?: boolean };

/** SHA-256 of https://www.apache.org/licenses/LICENSE-2.0.txt, unchanged. */
const APACHE_2_SHA256 = 'c71d239df91726fc519c6eb72d318ec65820627232b2f796219e87dcf35d0ab4';

describe('repository files', () => {
  test('LICENSE is the Apache-2.0 text, the licence every package.json names', () => {
    const sha = createHash('sha256')
      .update(readFileSync(join(ROOT, 'LICENSE')))
      .digest('hex');
    assert.equal(sha, APACHE_2_SHA256);
    for (const p of ['package.json', 'packages/verify/package.json', 'packages/jwtgate/package.json'])
      assert.equal(manifest(p).license, 'Apache-2.0', p);
  });

  test('CHANGELOG.md follows Keep a Changelog: an Unreleased section, only its kinds of change', () => {
    const text = read('CHANGELOG.md');
    assert.match(text, /^# Changelog\n/);
    assert.match(text, /\[Keep a Changelog\]\(https:\/\/keepachangelog\.com\/en\/1\.1\.0\/\)/);
    assert.match(text, /^## \[Unreleased\]$/m);
    const kinds = [...text.matchAll(/^### (.+)$/gm)].map((m) => m[1]);
    assert.ok(kinds.length > 0);
    for (const kind of kinds)
      assert.ok(
        ['Added', 'Changed', 'Deprecated', 'Removed', 'Fixed', 'Security'].includes(kind as string),
        kind,
      );
  });

  test('SECURITY.md says how to report and what is in scope; CONTRIBUTING.md has its four parts', () => {
    const security = read('SECURITY.md');
    for (const h of [
      '## Reporting a vulnerability',
      '## Supported versions',
      '## In scope',
      '## Not in scope',
    ])
      assert.ok(security.includes(`\n${h}\n`), h);
    const contributing = read('CONTRIBUTING.md');
    for (const h of ['## Setup', '## Tests', '## Style', '## Adding a configuration option, end to end'])
      assert.ok(contributing.includes(`\n${h}\n`), h);
  });

  test('every `npm run <script>` the docs give is a script of the root package.json', () => {
    const scripts = manifest('package.json').scripts ?? {};
    const docs = [
      'README.md',
      'CONTRIBUTING.md',
      'CHANGELOG.md',
      ...readdirSync(join(ROOT, 'bench'))
        .filter((d) => existsSync(join(ROOT, 'bench', d, 'README.md')))
        .map((d) => `bench/${d}/README.md`),
      ...readdirSync(join(ROOT, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => `docs/${f}`),
      ...readdirSync(join(ROOT, 'examples')).map((d) => `examples/${d}/README.md`),
    ];
    let named = 0;
    for (const doc of docs)
      for (const m of read(doc).matchAll(/\bnpm run (?:-s )?([a-z][a-z0-9:-]*)/g)) {
        named++;
        assert.ok(m[1] !== undefined && m[1] in scripts, `${doc}: npm run ${m[1]} is no script`);
      }
    assert.ok(named > 20, 'the docs name scripts');
  });
});
