import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addClient, rotateClientSecret } from '../issuer/admin/manage-clients.ts';
import type { Store } from '../store/types.ts';

/** The client the walkthrough's "go further" steps use: role billing (not inventory). */
export const DEMO_CLIENT = Object.freeze({
  id: 'demo-client',
  audience: 'api://demo',
  roles: ['billing'],
  /** In the data folder: the README reads the secret from here. */
  secretFile: 'demo-client-secret',
});

/**
 * Registers the demo client on first start and keeps its secret in the data folder (mode 0600):
 * the store holds only a hash, and the walkthrough reads the secret back from the file. When the
 * file is gone, the secret is rotated and written again.
 */
export async function seedDemoClient(
  store: Store,
  dataDir: string,
): Promise<{ id: string; secretFile: string; secret: string | null }> {
  const secretFile = join(dataDir, DEMO_CLIENT.secretFile);
  let secret: string | null = null;
  if ((await store.clients.get(DEMO_CLIENT.id)) === undefined) {
    const added = await addClient(
      store,
      {
        id: DEMO_CLIENT.id,
        name: 'jwtgate demo client',
        audiences: [DEMO_CLIENT.audience],
        roles: [...DEMO_CLIENT.roles],
      },
      'demo',
    );
    secret = added.secret;
  } else if (!existsSync(secretFile)) {
    secret = (await rotateClientSecret(store, DEMO_CLIENT.id, 'demo')).secret;
  }
  if (secret !== null) writeFileSync(secretFile, `${secret}\n`, { mode: 0o600 });
  return { id: DEMO_CLIENT.id, secretFile, secret };
}
