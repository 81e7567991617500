import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The demo's shared secret: SECRET_KEY from the environment when set, otherwise 48 random bytes
 * generated once and kept in the data folder (mode 0600), so tokens survive a restart.
 */
export function loadDemoSecret(dataDir: string, env: NodeJS.ProcessEnv): { secret: string; origin: string } {
  if (env.SECRET_KEY !== undefined)
    return { secret: env.SECRET_KEY, origin: 'environment variable SECRET_KEY' };
  const file = join(dataDir, 'secret-key');
  try {
    return { secret: readFileSync(file, 'utf8').trim(), origin: file };
  } catch {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const secret = randomBytes(48).toString('base64url');
    writeFileSync(file, `${secret}\n`, { mode: 0o600 });
    return { secret, origin: `${file} (generated)` };
  }
}
