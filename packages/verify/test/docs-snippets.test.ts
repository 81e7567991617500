// The TypeScript snippets of docs/verify.md and docs/using-verify.md compile with tsc (strict, no
// skipLibCheck) against @jwtgate/verify as it is published: the declarations its build emits, in
// a package folder of their own, resolved through its `exports` without the source condition. So
// the typed `req.auth` of the Express and Fastify adapters is what ships, not only what the
// sources say. Each snippet gets the names it uses but does not define (`app`, `verifier`, ...)
// declared before it; a planted mistake must be the only error reported.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

const ROOT = new URL('../../../', import.meta.url).pathname;
const WORK = join(ROOT, 'node_modules/.cache/jwtgate-docs-snippets');
const PACKAGE = join(WORK, 'node_modules/@jwtgate/verify');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

interface Snippet {
  readonly name: string;
  readonly code: string;
}

/** The ```ts blocks of a doc; a block holding `// Express`, `// Fastify`, `// node:http` sections is split at them. */
function snippets(doc: string): Snippet[] {
  const text = readFileSync(join(ROOT, 'docs', doc), 'utf8');
  const blocks = [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  return blocks.flatMap((block, i) => {
    const sections = block.split(/^(?=\/\/ (?:Express|Fastify|node:http)\b)/m).filter((s) => s.trim());
    return sections.map((code, j) => ({ name: `${doc.replace('.md', '')}-${i}-${j}`, code }));
  });
}

/** What a snippet uses without defining it, declared the way a reader's program would have it. */
function preamble(code: string): string {
  const defines = (name: string) =>
    new RegExp(`\\b(const|let|function)\\s+${name}\\b`).test(code) ||
    new RegExp(`^import\\b[^\\n]*\\b${name}\\b[^\\n]*\\bfrom\\b`, 'm').test(code);
  const uses = (name: string) => new RegExp(`\\b${name}\\b`).test(code);
  const lines: string[] = ['export {};'];
  const express = code.includes('@jwtgate/verify/express');
  const fastify = code.includes('@jwtgate/verify/fastify');
  if (uses('verifier') && !defines('verifier'))
    lines.push("import type { Verifier } from '@jwtgate/verify';", 'declare const verifier: Verifier;');
  if (uses('app') && !defines('app')) {
    if (express) lines.push("import type { Express } from 'express';", 'declare const app: Express;');
    if (fastify)
      lines.push("import type { FastifyInstance } from 'fastify';", 'declare const app: FastifyInstance;');
  }
  if (uses('handler') && !defines('handler'))
    lines.push("import type { RequestHandler } from 'express';", 'declare const handler: RequestHandler;');
  if (uses('http') && /\bhttp\./.test(code) && !defines('http')) lines.push("import http from 'node:http';");
  if (uses('token') && !defines('token')) lines.push('declare const token: string;');
  if (uses('revoked') && !defines('revoked')) lines.push('declare const revoked: Set<string>;');
  return `${lines.join('\n')}\n`;
}

function compile(files: Record<string, string>): string[] {
  const dir = join(WORK, 'snippets');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [name, code] of Object.entries(files)) writeFileSync(join(dir, `${name}.ts`), code);
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        target: 'es2024',
        lib: ['es2024'],
        module: 'nodenext',
        moduleResolution: 'nodenext',
        types: ['node'],
        skipLibCheck: false,
      },
      include: ['*.ts'],
    }),
  );
  try {
    execFileSync(process.execPath, [TSC, '-p', dir], { encoding: 'utf8' });
    return [];
  } catch (err) {
    return ((err as { stdout: string }).stdout ?? '').split('\n').filter((l) => l.includes('error TS'));
  }
}

describe('the docs snippets against the published declarations of @jwtgate/verify', () => {
  before(() => {
    rmSync(WORK, { recursive: true, force: true });
    // The package as `npm pack` ships it: package.json and the declarations the build emits.
    execFileSync(
      process.execPath,
      [
        TSC,
        '-p',
        join(ROOT, 'packages/verify/tsconfig.build.json'),
        '--emitDeclarationOnly',
        '--outDir',
        join(PACKAGE, 'dist'),
      ],
      { encoding: 'utf8' },
    );
    cpSync(join(ROOT, 'packages/verify/package.json'), join(PACKAGE, 'package.json'));
  });
  after(() => rmSync(WORK, { recursive: true, force: true }));

  const all = [...snippets('verify.md'), ...snippets('using-verify.md')];

  test('the docs hold the snippets: the verifier, and the Express, Fastify and node:http adapters', () => {
    assert.ok(all.length >= 8, `${all.length} snippets`);
    for (const adapter of ['express', 'fastify', 'node-http'])
      assert.ok(
        all.some((s) => s.code.includes(`@jwtgate/verify/${adapter}`)),
        adapter,
      );
    assert.ok(all.some((s) => s.code.includes('req.auth.claims') && s.code.includes('/express')));
    assert.ok(all.some((s) => s.code.includes('req.auth.claims') && s.code.includes('/fastify')));
  });

  test('every snippet compiles, req.auth typed; the one planted mistake is the one error', () => {
    const files = Object.fromEntries(all.map((s) => [s.name, preamble(s.code) + s.code]));
    // Proof that the snippets are checked, and that req.auth is a VerifiedToken (not any) in both.
    files['planted-express'] =
      "import express from 'express';\nimport { createExpressMiddleware } from '@jwtgate/verify/express';\n" +
      "import type { Verifier } from '@jwtgate/verify';\ndeclare const verifier: Verifier;\n" +
      "express().get('/', createExpressMiddleware({ verifier }), (req, res) => { res.json(req.auth.claimz); });\n";
    files['planted-fastify'] =
      "import Fastify from 'fastify';\nimport { jwtGatePlugin } from '@jwtgate/verify/fastify';\n" +
      "import type { Verifier } from '@jwtgate/verify';\ndeclare const verifier: Verifier;\n" +
      "Fastify().register(async (s) => { await s.register(jwtGatePlugin, { verifier }); s.get('/', async (req) => req.auth.claimz); });\n";
    const errors = compile(files);
    assert.equal(errors.length, 2, errors.join('\n'));
    assert.match(
      errors[0] as string,
      /planted-express\.ts.*Property 'claimz' does not exist on type 'VerifiedToken'/,
    );
    assert.match(
      errors[1] as string,
      /planted-fastify\.ts.*Property 'claimz' does not exist on type 'VerifiedToken'/,
    );
  });
});
