// The issuer's storage, behind one small interface: SQLite (node:sqlite) by default, PostgreSQL
// (`postgres://...`) behind the same methods and migrations. Everything is async so that both fit.
// No secret is stored in the clear: client secrets as hashes, private keys encrypted when a key
// encryption key is configured.

/**
 * A registered OAuth client. The optional members are absent when they hold their default (a
 * `web` application, no web origins, no token exchange); null clears them in an update.
 */
export interface ClientRecord {
  readonly id: string;
  readonly name: string;
  /** `sha256:<base64url>` of the secret (secrets carry 256 bits of entropy); null for private_key_jwt and public clients. */
  readonly secretHash: string | null;
  /** `none`: a public client (a browser or native app), which has no secret and must use PKCE. */
  readonly authMethod: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';
  /** Public keys for private_key_jwt, as a JWKS. */
  readonly jwks: { keys: Record<string, unknown>[] } | null;
  readonly grantTypes: readonly string[];
  readonly redirectUris: readonly string[];
  readonly scopes: readonly string[];
  readonly roles: readonly string[];
  /** Resource indicators (RFC 8707) the client may get tokens for; the token `aud`. */
  readonly audiences: readonly string[];
  /** Extra claims put into every access token of this client. */
  readonly claims: Readonly<Record<string, unknown>>;
  readonly disabled: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** OpenID Connect Registration 2 `application_type`; absent: `web`. */
  readonly applicationType?: 'web' | 'native' | null;
  /** Origins (`https://app.example`) of a browser app, answered with CORS; absent: none. */
  readonly webOrigins?: readonly string[] | null;
  /** The token exchanges (RFC 8693) this client may make; absent: none. */
  readonly tokenExchange?: TokenExchangePolicy | null;
}

/** What a client may exchange a user's access token for (RFC 8693 2.1). */
export interface TokenExchangePolicy {
  /** Audiences (resource indicators, RFC 8707) the exchanged token may be for. */
  readonly audiences: readonly string[];
  /** Issuers whose access tokens it may present as subject tokens; empty: this issuer only. */
  readonly issuers: readonly string[];
}

export type NewClient = Omit<ClientRecord, 'createdAt' | 'updatedAt'>;

/** A person who logs in to the issuer (issue 6). The password is kept only as an argon2id hash. */
export interface UserRecord {
  /** The stable subject (`sub`): `usr_` + 22 base64url characters (16 random bytes). */
  readonly id: string;
  /** Login name, unique case-insensitively; stored as given after NFKC + trim, compared lowercased. */
  readonly username: string;
  /** PHC string from hash-password.ts. */
  readonly passwordHash: string;
  readonly email: string | null;
  readonly name: string | null;
  /** Roles per application: client id -> roles, e.g. { "webapp": ["billing"] }; '*' key = roles for every client. */
  readonly roles: Readonly<Record<string, readonly string[]>>;
  /** May use the web console. */
  readonly admin: boolean;
  readonly disabled: boolean;
  /** Consecutive failed logins, reset on success. */
  readonly failedLogins: number;
  /** Ms since epoch; null when not locked. */
  readonly lockedUntil: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export type NewUser = Omit<UserRecord, 'createdAt' | 'updatedAt' | 'failedLogins' | 'lockedUntil'>;

/** A signing key and where it is in its life: next (published, not signing) -> current -> retiring (published) -> retired. */
export interface SigningKeyRecord {
  readonly kid: string;
  readonly alg: string;
  /** The private JWK as JSON, or `enc:v1:...` when encrypted with the key encryption key. */
  readonly privateJwk: string;
  readonly publicJwk: Readonly<Record<string, unknown>>;
  readonly state: 'next' | 'current' | 'retiring' | 'retired';
  readonly createdAt: number;
  /** When a `next` key starts signing (ms since epoch). */
  readonly activatesAt: number | null;
  /** When a `retiring` key leaves the JWKS: after every token it signed has expired. */
  readonly removeAt: number | null;
}

export interface RevocationRecord {
  /** Monotonic sequence number: the feed's cursor. */
  readonly seq: number;
  readonly jti: string;
  /** The token's exp (seconds): the entry is kept until then. */
  readonly exp: number;
  readonly revokedAt: number;
}

export interface AuditEvent {
  readonly seq: number;
  readonly at: number;
  /** e.g. `token.issued`, `token.revoked`, `client.created`, `client.secret_rotated`, `key.rotated`, `auth.failed`. */
  readonly type: string;
  readonly actor: string | null;
  readonly subject: string | null;
  /** Never a secret or a token. */
  readonly detail: Readonly<Record<string, unknown>>;
}

/**
 * oidc-provider's adapter model storage (sessions, grants, interactions, refresh tokens, ...).
 * Expired entries are absent; `find*` return a consumed entry's payload with `consumed` (epoch
 * seconds); `revokeByGrantId` removes the grant's entries of every model, not only `model`'s.
 */
export interface OidcPayloadStore {
  upsert(
    model: string,
    id: string,
    payload: Record<string, unknown>,
    expiresInSeconds: number | undefined,
  ): Promise<void>;
  find(model: string, id: string): Promise<Record<string, unknown> | undefined>;
  findByUid(model: string, uid: string): Promise<Record<string, unknown> | undefined>;
  findByUserCode(model: string, userCode: string): Promise<Record<string, unknown> | undefined>;
  consume(model: string, id: string): Promise<void>;
  destroy(model: string, id: string): Promise<void>;
  revokeByGrantId(model: string, grantId: string): Promise<void>;
}

export interface Store {
  /** Applies pending migrations (idempotent). */
  migrate(): Promise<void>;
  readonly clients: {
    /** Rejects if a client with this id exists. */
    create(client: NewClient): Promise<ClientRecord>;
    get(id: string): Promise<ClientRecord | undefined>;
    /** Oldest first (createdAt, then id). */
    list(): Promise<ClientRecord[]>;
    /** Sets updatedAt to now unless `changes` gives one; undefined when there is no such client. */
    update(
      id: string,
      changes: Partial<Omit<ClientRecord, 'id' | 'createdAt'>>,
    ): Promise<ClientRecord | undefined>;
    remove(id: string): Promise<boolean>;
    /** Whether an enabled client lists `origin` among its web origins (answers CORS preflights). */
    hasWebOrigin(origin: string): Promise<boolean>;
  };
  readonly users: {
    /** Rejects if a user with this id or username (case-insensitively) exists: "... already exists". */
    create(user: NewUser): Promise<UserRecord>;
    get(id: string): Promise<UserRecord | undefined>;
    /** Case-insensitive (NFKC, trimmed, lowercased). */
    getByUsername(username: string): Promise<UserRecord | undefined>;
    /** Oldest first (createdAt, then id). */
    list(): Promise<UserRecord[]>;
    /**
     * Sets updatedAt to now unless `changes` gives one; undefined when there is no such user.
     * Rejects like create when a new username is taken.
     */
    update(
      id: string,
      changes: Partial<Omit<UserRecord, 'id' | 'createdAt'>>,
    ): Promise<UserRecord | undefined>;
    remove(id: string): Promise<boolean>;
    /**
     * Counts one failed login, atomically (parallel guesses each count): +1, or 1 when an earlier
     * lock has run out (which it clears). Null, counting nothing, while the account is locked.
     */
    countLoginFailure(id: string, nowMs: number): Promise<number | null>;
    /** Locks the account until `untilMs` and restarts the count, unless it is locked already. */
    lockLogin(id: string, untilMs: number, nowMs: number): Promise<void>;
    /** A successful login: clears the count and an expired lock. False (nothing changed) while locked. */
    clearLoginFailures(id: string, nowMs: number): Promise<boolean>;
  };
  readonly keys: {
    /** Oldest first (createdAt, then kid). */
    list(): Promise<SigningKeyRecord[]>;
    /** Rejects if a key with this kid exists. */
    insert(key: SigningKeyRecord): Promise<void>;
    /** Rejects if there is no key `kid`. */
    update(kid: string, changes: Partial<Omit<SigningKeyRecord, 'kid'>>): Promise<void>;
  };
  readonly revocations: {
    /** Revoking a jti already present is a no-op that returns the existing entry (its first seq). */
    add(jti: string, exp: number): Promise<RevocationRecord>;
    /** Entries with seq > `seq`, oldest first, at most `limit` (default 1000). */
    since(seq: number, limit?: number): Promise<RevocationRecord[]>;
    isRevoked(jti: string): Promise<boolean>;
    /** Deletes entries whose exp has passed (exp <= nowSeconds); returns how many. */
    prune(nowSeconds: number): Promise<number>;
  };
  readonly audit: {
    append(event: Omit<AuditEvent, 'seq' | 'at'> & { at?: number }): Promise<AuditEvent>;
    /** Newest first; with `types`, only events of those types (an empty list matches none). */
    recent(limit: number, types?: readonly string[]): Promise<AuditEvent[]>;
  };
  readonly oidc: OidcPayloadStore;
  /**
   * Runs `fn` holding the lock `name`: across every process on the database for PostgreSQL (an
   * advisory lock), within this process for SQLite (one issuer per file). Used so that replicas
   * rotate a signing key once, not once each.
   */
  exclusive<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Idempotent. */
  close(): Promise<void>;
}
