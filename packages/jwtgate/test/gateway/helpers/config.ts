// Shared fixtures of the gateway unit tests: temp config files and a small valid configuration.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SECRET } from '../../../../verify/test/helpers/keys.ts';
import type { GatewayConfigInput, ProviderInput, RouteInput } from '../../../src/gateway/config/types.ts';

/** A temp directory for config files; `remove()` it in `after`. */
export function tempDir(prefix: string): {
  dir: string;
  write(name: string, text: string): string;
  remove(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), `jwtgate-${prefix}-`));
  return {
    dir,
    write(name, text) {
      const file = join(dir, name);
      writeFileSync(file, text);
      return file;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The repository's example configuration. */
export const EXAMPLE_CONFIG = new URL('../../../../../examples/gateway/jwtgate.yaml', import.meta.url)
  .pathname;

export const SECRET_A = SECRET;
export const SECRET_B = 'another-secret-for-provider-b-that-is-long-enough-0123456789abcdef-xyz';

/** An HS256 provider (no network needed): issuer `https://<name>.test`, audience `api`. */
export function hsProvider(name: string, extra: Partial<ProviderInput> = {}): ProviderInput {
  return {
    issuer: `https://${name}.test`,
    secret: name === 'b' ? SECRET_B : SECRET_A,
    algorithms: ['HS256'],
    audiences: ['api'],
    ...extra,
  };
}

/** A protected route on provider `a`. */
export function route(name: string, path: string, extra: Partial<RouteInput> = {}): RouteInput {
  return {
    name,
    match: { path },
    requires: { provider: 'a' },
    upstream: 'http://127.0.0.1:7001',
    ...extra,
  };
}

/** A valid configuration with providers `a` and `b` and the given routes. */
export function config(
  routes: RouteInput[],
  extra: Partial<GatewayConfigInput['gateway']> = {},
): GatewayConfigInput {
  return {
    gateway: {
      listen: '127.0.0.1:9001',
      providers: { a: hsProvider('a'), b: hsProvider('b') },
      routes,
      ...extra,
    },
  };
}
