import type { RevocationRecord, Store } from '../../store/types.ts';
import { recordAudit } from '../audit.ts';

export interface RevokeOptions {
  readonly jti: string;
  /** The token's exp (seconds): the entry stays on the list, and in the feed, until then. */
  readonly exp: number;
  readonly actor: string;
  /** The client the token was issued to, when known (for the audit log). */
  readonly clientId?: string;
}

/** Puts a token id on the revocation list (idempotent) and audits it; the feed delivers it to gateways. */
export async function revokeJti(store: Store, options: RevokeOptions): Promise<RevocationRecord> {
  const record = await store.revocations.add(options.jti, options.exp);
  await recordAudit(store, {
    type: 'token.revoked',
    actor: options.actor,
    subject: options.jti,
    detail: {
      exp: record.exp,
      seq: record.seq,
      ...(options.clientId ? { client_id: options.clientId } : {}),
    },
  });
  return record;
}
