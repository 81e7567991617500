#!/usr/bin/env node
// The installed `jwtgate` command. It checks the Node.js version before anything else loads, and
// stays plain enough for an older Node.js to parse: the CLI's own static imports would be linked
// first and fail there with an obscure error (node:sqlite does not exist before Node.js 22).
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  engines: { node: string };
};
const needed = Number(/>=\s*(\d+)/.exec(pkg.engines.node)?.[1]);
const running = Number(process.versions.node.split('.')[0]);
if (!(running >= needed)) {
  process.stderr.write(
    `jwtgate: needs Node.js ${needed} or later (engines.node ${pkg.engines.node}); this is Node.js ${process.version}.\n` +
      `Install Node.js ${needed} or later (https://nodejs.org), or run the container image.\n`,
  );
  process.exit(1);
}
await import('../cli.ts');
