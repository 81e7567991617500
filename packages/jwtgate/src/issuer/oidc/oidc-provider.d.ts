// The part of oidc-provider (v9, untyped JavaScript) that jwtgate uses. Kept narrow on purpose:
// only what the issuer calls, so a breaking change there shows up here first.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface ClientMetadata {
    readonly client_id: string;
    readonly [key: string]: unknown;
  }

  /** A client as oidc-provider holds it (camelCase for registered metadata, extra metadata as given). */
  export interface Client {
    readonly clientId: string;
    readonly clientSecret?: string;
    readonly clientAuthMethod: string;
    readonly [key: string]: unknown;
  }

  export interface OidcContext {
    readonly route?: string;
    readonly client?: Client;
    readonly params?: Record<string, unknown>;
    readonly provider: Provider;
  }

  /** A Koa context, reduced to what the post-middleware touches. */
  export interface KoaContext {
    status: number;
    body: unknown;
    readonly method: string;
    readonly path: string;
    readonly oidc?: OidcContext;
    readonly req: IncomingMessage;
    /** Koa's per-request state: the issuer marks a request whose store was unreachable. */
    readonly state: Record<string, unknown>;
    set(name: string, value: string): void;
    get(name: string): string;
    remove(name: string): void;
    readonly response: { get(name: string): string };
  }

  export type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

  export interface IssuedToken {
    readonly jti: string;
    readonly clientId: string;
    readonly kind: string;
    readonly aud?: string | string[];
    readonly scope?: string;
    readonly expiration?: number;
    readonly client?: Client;
  }

  export interface AdapterPayload {
    readonly [key: string]: unknown;
  }

  export interface Adapter {
    upsert(id: string, payload: AdapterPayload, expiresIn: number | undefined): Promise<void>;
    find(id: string): Promise<AdapterPayload | undefined>;
    findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
    findByUid(uid: string): Promise<AdapterPayload | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  export type AdapterConstructor = new (name: string) => Adapter;

  export type Configuration = Record<string, unknown>;

  /** A pending user interaction (login or consent) of the authorization endpoint. */
  export interface InteractionDetails {
    readonly uid: string;
    readonly prompt: { readonly name: string; readonly reasons: readonly string[] };
    readonly params: Readonly<Record<string, unknown>>;
    readonly session?: { readonly accountId?: string };
    readonly grantId?: string;
  }

  /** What a user granted a client (scopes, claims, resource scopes). */
  export interface Grant {
    readonly jti: string;
    readonly accountId: string;
    readonly clientId: string;
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
  }

  export default class Provider {
    constructor(issuer: string, configuration?: Configuration);
    readonly issuer: string;
    readonly Client: { prototype: { compareClientSecret(actual: string): boolean | Promise<boolean> } };
    proxy: boolean;
    callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
    readonly Grant: {
      new (properties: { accountId: string; clientId: string }): Grant;
      find(id: string): Promise<Grant | undefined>;
    };
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
    use(middleware: Middleware): this;
    /** A grant type of the token endpoint: `params` it reads, `repeatable` ones that may appear more than once. */
    registerGrantType(
      name: string,
      handler: (ctx: KoaContext) => Promise<void>,
      params?: readonly string[],
      repeatable?: readonly string[],
    ): void;
    on(event: string, listener: (...args: never[]) => void): this;
  }

  export class OIDCProviderError extends Error {
    constructor(status: number, message: string);
    readonly error: string;
    readonly error_description?: string;
    readonly status: number;
    readonly statusCode: number;
  }

  export const errors: {
    readonly InvalidClientAuth: new (detail: string) => OIDCProviderError;
    readonly InvalidGrant: new () => OIDCProviderError;
    readonly InvalidRequest: new (description?: string) => OIDCProviderError;
    readonly InvalidScope: new (description: string, scope: string) => OIDCProviderError;
    readonly InvalidTarget: new (description?: string) => OIDCProviderError;
    readonly UnauthorizedClient: new (description?: string) => OIDCProviderError;
  };
}
