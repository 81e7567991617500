// Builds the publishable package in the current folder (npm runs a package's scripts there): a
// clean dist/ compiled by tsc from its tsconfig.build.json (JavaScript and .d.ts), the licence,
// and any file of the repository the tarball must carry (`--copy from=to`, from the repository
// root to the package).
//   node ../../scripts/build-package.ts --copy schema/jwtgate.schema.json=schema/jwtgate.schema.json
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = resolve(import.meta.dirname, '..');
const dir = process.cwd();
const { values } = parseArgs({ options: { copy: { type: 'string', multiple: true, default: [] } } });

rmSync(join(dir, 'dist'), { recursive: true, force: true });
execFileSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.build.json')],
  { stdio: 'inherit' },
);
for (const pair of ['LICENSE=LICENSE', ...values.copy]) {
  const [from, to] = pair.split('=') as [string, string];
  mkdirSync(dirname(join(dir, to)), { recursive: true });
  copyFileSync(join(root, from), join(dir, to));
}
console.error(`built ${relative(root, dir)}`);
