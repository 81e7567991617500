import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { AdapterConstructor } from 'oidc-provider';
import type { Logger } from 'pino';
import type { RevocationRecord, Store } from '../../store/types.ts';
import type { IssuerOptions } from '../issuer-options.ts';
import { deviceCodeRetentionSeconds } from '../oidc/device-flow.ts';
import { USER_ROUTES, type UserFlowSetup } from '../oidc/user-flows.ts';
import { withUserGrants } from '../oidc/user-grant-adapter.ts';
import { answerUserinfo } from '../tokens/answer-userinfo.ts';
import { createGrantAccessTokens } from '../tokens/grant-access-tokens.ts';
import type { OwnTokenVerifier } from '../tokens/verify-own-token.ts';
import { createInteractionHandler, INTERACTION_PREFIX } from './interaction-handler.ts';
import { type IssuerSecrets, loadIssuerSecrets } from './issuer-secret.ts';

export interface UserRoutesDeps {
  readonly store: Store;
  readonly options: Pick<IssuerOptions, 'login' | 'refreshTokens' | 'tokenLifetimeSeconds' | 'deviceFlow'>;
  readonly now: () => number;
  readonly log: Logger;
  readonly onRevoked: (record: RevocationRecord) => void;
}

export interface UserRoutes {
  /** Loads (or makes) the server secret; before the first Provider is built. */
  start(): Promise<void>;
  /** The storage adapter with the refresh grace and grant revocation of JWT access tokens. */
  adapter(base: AdapterConstructor): AdapterConstructor;
  /** What buildProvider needs for the user flows. */
  setup(): UserFlowSetup;
  /** The Provider and the token verifier serving from now on (after each rebuild). */
  serve(provider: Provider, verifier: OwnTokenVerifier): void;
  /** Whether `path` is one the issuer answers itself for the user flows (login pages, userinfo). */
  owns(path: string): boolean;
  route(req: IncomingMessage, res: ServerResponse, path: string): Promise<void>;
}

/**
 * The issuer's part of the users' flows around oidc-provider: the hosted login page, /userinfo for
 * JWT access tokens, the grant -> access token list and the secret behind cookies and CSRF tokens.
 * The resume path of the authorization endpoint (`/authorize/:uid`) belongs to oidc-provider.
 *
 * @example
 * const users = createUserRoutes({ store, options, now, log, onRevoked: () => feed.notify() });
 * await users.start();
 */
export function createUserRoutes(deps: UserRoutesDeps): UserRoutes {
  const { store, options, now, log } = deps;
  let secrets: IssuerSecrets | null = null;
  let provider: Provider | null = null;
  let verifier: OwnTokenVerifier | null = null;
  const grantTokens = createGrantAccessTokens(
    store,
    deps.onRevoked,
    now,
    options.refreshTokens.absoluteLifetimeSeconds,
  );
  const need = <T>(value: T | null): T => {
    if (value === null) throw new Error('the issuer has not been started');
    return value;
  };
  const interactions = createInteractionHandler({
    provider: () => need(provider),
    store,
    csrfKey: () => need(secrets).csrfKey,
    lockout: options.login.lockout,
    perAddress: options.login.perAddress,
    now,
    log: log.child({ component: 'login' }),
  });
  return {
    async start() {
      secrets ??= await loadIssuerSecrets(store);
    },
    adapter: (base) =>
      withUserGrants(base, {
        graceSeconds: options.refreshTokens.graceSeconds,
        grantTokens,
        now,
        isPublicClient: async (id) => (await store.clients.get(id))?.authMethod === 'none',
        deviceCodeRetentionSeconds: deviceCodeRetentionSeconds(options.deviceFlow),
      }),
    setup: () => ({
      store,
      cookieKeys: need(secrets).cookieKeys,
      tokenLifetimeSeconds: options.tokenLifetimeSeconds,
      refreshAbsoluteLifetimeSeconds: options.refreshTokens.absoluteLifetimeSeconds,
      refreshPublicIdleSeconds: options.refreshTokens.publicIdleLifetimeSeconds,
      grantTokens,
    }),
    serve(next, nextVerifier) {
      provider = next;
      verifier = nextVerifier;
    },
    owns: (path) => path === USER_ROUTES.userinfo || path.startsWith(INTERACTION_PREFIX),
    route(req, res, path) {
      if (path === USER_ROUTES.userinfo)
        return answerUserinfo({ verifier: () => need(verifier), store }, req, res);
      return interactions(req, res, path);
    },
  };
}
