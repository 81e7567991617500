import type { Store } from '../store/types.ts';

/** Every audited event type. The detail never holds a secret, a private key or a token. */
export type AuditType =
  | 'token.issued'
  | 'token.revoked'
  | 'client.created'
  | 'client.secret_rotated'
  | 'client.updated'
  | 'client.removed'
  | 'user.created'
  | 'user.disabled'
  | 'user.enabled'
  | 'user.roles_changed'
  | 'user.password_reset'
  | 'user.removed'
  | 'user.mfa_required_changed'
  | 'user.totp_enrolled'
  | 'user.totp_removed'
  | 'user.recovery_codes_generated'
  | 'user.recovery_code_used'
  | 'user.passkey_added'
  | 'user.passkey_removed'
  | 'user.factors_reset'
  | 'key.created'
  | 'key.rotated'
  | 'key.activated'
  | 'key.retired'
  | 'auth.failed'
  | 'auth.locked'
  | 'login.succeeded'
  | 'login.failed'
  | 'login.locked';

export interface AuditEntry {
  readonly type: AuditType;
  /** Who did it: `cli`, `admin-api`, `issuer`, or a client id. */
  readonly actor: string;
  /** What it concerns: a client id, a user id, a kid or a jti. */
  readonly subject: string | null;
  readonly detail?: Record<string, unknown>;
}

/** Appends to the audit log; a failing write is reported to `onError`, never to the caller's request. */
export async function recordAudit(
  store: Store,
  entry: AuditEntry,
  onError: (err: unknown) => void = () => {},
): Promise<void> {
  try {
    await store.audit.append({
      type: entry.type,
      actor: entry.actor,
      subject: entry.subject,
      detail: entry.detail ?? {},
    });
  } catch (err) {
    onError(err);
  }
}
