import type { AdapterConstructor, AdapterPayload } from 'oidc-provider';
import type { Store } from '../../store/types.ts';
import { toClientMetadata } from './client-metadata.ts';

/**
 * oidc-provider's storage adapter over the Store: the `Client` model reads our client records
 * (disabled clients do not exist for it), every other model (replay detection of client
 * assertions, and any opaque artifact) lives in the store's oidc table, so nothing is lost when
 * the Provider is rebuilt after a key change or the process restarts.
 */
export function createStoreAdapter(store: Store): AdapterConstructor {
  return class StoreAdapter {
    readonly model: string;

    constructor(model: string) {
      this.model = model;
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.model === 'Client') {
        const client = await store.clients.get(id);
        return client === undefined || client.disabled ? undefined : toClientMetadata(client);
      }
      return store.oidc.find(this.model, id);
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number | undefined): Promise<void> {
      // Clients are managed by jwtgate (CLI, admin API); dynamic registration is not enabled.
      if (this.model === 'Client') throw new Error('clients are not written through oidc-provider');
      await store.oidc.upsert(this.model, id, { ...payload }, expiresIn);
    }

    findByUid(uid: string) {
      return store.oidc.findByUid(this.model, uid);
    }

    findByUserCode(userCode: string) {
      return store.oidc.findByUserCode(this.model, userCode);
    }

    consume(id: string) {
      return store.oidc.consume(this.model, id);
    }

    destroy(id: string) {
      return store.oidc.destroy(this.model, id);
    }

    revokeByGrantId(grantId: string) {
      return store.oidc.revokeByGrantId(this.model, grantId);
    }
  };
}
