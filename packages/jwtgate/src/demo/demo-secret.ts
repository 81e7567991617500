import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KEY_ENCRYPTION_KEY_ENV } from '../store/key-encryption.ts';

/** A value kept in `dataDir/name` (mode 0600): read when present, otherwise generated and written once. */
export function keptInDataDir(
  dataDir: string,
  name: string,
  generate: () => string,
): { value: string; file: string; generated: boolean } {
  const file = join(dataDir, name);
  try {
    return { value: readFileSync(file, 'utf8').trim(), file, generated: false };
  } catch {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const value = generate();
    writeFileSync(file, `${value}\n`, { mode: 0o600 });
    return { value, file, generated: true };
  }
}

export const SECRET_FROM_ENV = 'environment variable SECRET_KEY';

/**
 * The demo's shared secret: SECRET_KEY from the environment when set, otherwise 48 random bytes
 * generated once and kept in the data folder (mode 0600), so tokens survive a restart.
 */
export function loadDemoSecret(dataDir: string, env: NodeJS.ProcessEnv): { secret: string; origin: string } {
  if (env.SECRET_KEY !== undefined) return { secret: env.SECRET_KEY, origin: SECRET_FROM_ENV };
  const kept = keptInDataDir(dataDir, 'secret-key', () => randomBytes(48).toString('base64url'));
  return { secret: kept.value, origin: kept.generated ? `${kept.file} (generated)` : kept.file };
}

/**
 * The key that encrypts the issuer's private signing keys at rest: JWTGATE_KEY_ENCRYPTION_KEY
 * when set, otherwise 32 random bytes kept in the data folder. Returned as an environment for
 * loadKeyEncryptionKey, which checks it.
 */
export function demoKeyEncryptionEnv(dataDir: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env[KEY_ENCRYPTION_KEY_ENV] !== undefined) return env;
  const kept = keptInDataDir(dataDir, 'key-encryption-key', () => randomBytes(32).toString('base64'));
  return { ...env, [KEY_ENCRYPTION_KEY_ENV]: kept.value };
}
