import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { InteractionDetails } from 'oidc-provider';
import type { Logger } from 'pino';
import { createRateLimiter } from '../../lib/rate-limit.ts';
import type { Store } from '../../store/types.ts';
import { clientAddress } from '../protect/client-address.ts';
import { readUrlencodedForm } from '../protect/read-urlencoded-form.ts';
import type { RateOption } from '../protect/token-endpoint-guard.ts';
import { authenticateUser, type UserLockout } from './authenticate-user.ts';
import { checkCsrfToken, createCsrfToken } from './login-csrf.ts';
import { pageHeaders, renderLoginPage, renderMessagePage } from './login-page.ts';

/** oidc-provider's interactions.url: `${INTERACTION_PREFIX}${uid}`. */
export const INTERACTION_PREFIX = '/interaction/';

/** The one message for every failed login: no user enumeration (OWASP ASVS 2.2, 3.2). */
export const INVALID_LOGIN = 'Invalid username or password.';

const UID = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_FORM_BYTES = 8 * 1024;
const CSRF_PURPOSE = 'login';

export interface InteractionDeps {
  /** The Provider serving now (it is rebuilt when keys change; interactions live in the store). */
  readonly provider: () => Provider;
  readonly store: Store;
  readonly csrfKey: () => Buffer;
  readonly lockout: UserLockout | null;
  /** Login attempts per client address (token bucket); null turns it off. */
  readonly perAddress: RateOption | null;
  readonly now: () => number;
  readonly log: Logger;
}

function send(res: ServerResponse, status: number, html: string, headers: Record<string, string>): void {
  res.writeHead(status, headers).end(html);
}

/**
 * The hosted login page at GET/POST /interaction/:uid, where oidc-provider sends the browser when
 * the authorization request needs a login. The form carries a CSRF token (an HMAC of the uid)
 * and is accepted only with the interaction cookie of that same uid. Failed logins all answer
 * INVALID_LOGIN; attempts are throttled per client address, and accounts lock after repeated
 * failures (see authenticateUser). Every client is first-party: consent is granted by
 * loadExistingGrant (user-flows.ts); a consent prompt the client forces with prompt=consent is
 * answered here without a page.
 *
 * @example
 * const interactions = createInteractionHandler({ provider: () => current, store, csrfKey, lockout, perAddress, now, log });
 * if (path.startsWith(INTERACTION_PREFIX)) return interactions(req, res, path);
 */
export function createInteractionHandler(
  deps: InteractionDeps,
): (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void> {
  const limiter = deps.perAddress ? createRateLimiter(deps.perAddress.rate, deps.perAddress.burst) : null;

  const expired = (res: ServerResponse) =>
    send(
      res,
      400,
      renderMessagePage(
        'Sign-in request expired',
        'This sign-in request has expired or was already used. Go back to the application and sign in again.',
      ),
      pageHeaders(),
    );

  const showForm = async (
    res: ServerResponse,
    details: InteractionDetails,
    status: number,
    extra: { username?: string; error?: string } = {},
  ) => {
    const clientId = String(details.params.client_id ?? '');
    const client = clientId ? await deps.store.clients.get(clientId) : undefined;
    const html = renderLoginPage({
      action: `${INTERACTION_PREFIX}${details.uid}`,
      csrf: createCsrfToken(deps.csrfKey(), CSRF_PURPOSE, details.uid),
      clientName: client?.name ?? clientId,
      ...(extra.username === undefined ? {} : { username: extra.username }),
      ...(extra.error === undefined ? {} : { error: extra.error }),
    });
    const redirectUri = details.params.redirect_uri;
    send(res, status, html, pageHeaders(typeof redirectUri === 'string' ? [redirectUri] : []));
  };

  const details = async (req: IncomingMessage, res: ServerResponse, uid: string) => {
    try {
      const found = await deps.provider().interactionDetails(req, res);
      return found.uid === uid ? found : undefined;
    } catch {
      return undefined; // no, or another, interaction cookie; or the interaction expired
    }
  };

  const consent = async (req: IncomingMessage, res: ServerResponse, found: InteractionDetails) => {
    const provider = deps.provider();
    let grantId = found.grantId;
    if (grantId === undefined) {
      const accountId = found.session?.accountId;
      if (accountId === undefined) return expired(res);
      grantId = await new provider.Grant({ accountId, clientId: String(found.params.client_id) }).save();
    }
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  };

  return async function handleInteraction(req, res, path) {
    const uid = path.slice(INTERACTION_PREFIX.length);
    if (!UID.test(uid)) return expired(res);
    const method = req.method ?? 'GET';
    if (method === 'GET') {
      const found = await details(req, res, uid);
      if (found === undefined) return expired(res);
      if (found.prompt.name === 'consent') return consent(req, res, found);
      return showForm(res, found, 200, {
        ...(typeof found.params.login_hint === 'string' ? { username: found.params.login_hint } : {}),
      });
    }
    if (method !== 'POST') {
      res.writeHead(405, { allow: 'GET, POST', 'cache-control': 'no-store' }).end();
      return;
    }

    const address = clientAddress(req);
    const wait = limiter?.take(address, deps.now()) ?? 0;
    if (wait > 0) {
      deps.log.warn({ address }, 'login attempts throttled');
      return send(
        res,
        429,
        renderMessagePage('Too many attempts', 'Too many sign-in attempts. Try again later.'),
        { ...pageHeaders(), 'retry-after': String(wait) },
      );
    }
    const read = await readUrlencodedForm(req, MAX_FORM_BYTES);
    const form = read.ok ? read.form : null;
    if (form === null)
      return send(res, 400, renderMessagePage('Bad request', 'The form could not be read.'), {
        ...pageHeaders(),
        connection: 'close',
      });
    const found = await details(req, res, uid);
    if (found === undefined) return expired(res);
    if (!checkCsrfToken(deps.csrfKey(), CSRF_PURPOSE, uid, form.get('csrf'))) {
      deps.log.warn({ address, uid }, 'login form refused: bad CSRF token');
      return send(
        res,
        403,
        renderMessagePage(
          'Sign-in form refused',
          'This form was not sent by this sign-in page. Go back to the application and sign in again.',
        ),
        pageHeaders(),
      );
    }
    if (found.prompt.name !== 'login') return expired(res);
    const provider = deps.provider();
    if (form.get('action') === 'cancel') {
      return provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'the user cancelled the sign-in' },
        { mergeWithLastSubmission: false },
      );
    }
    const username = (form.get('username') ?? '').slice(0, 256);
    const outcome = await authenticateUser(
      {
        store: deps.store,
        lockout: deps.lockout,
        now: deps.now,
        onError: (err) => deps.log.error({ err }, 'audit failed'),
      },
      {
        username,
        password: form.get('password') ?? '',
        address,
        clientId: String(found.params.client_id ?? ''),
      },
    );
    if (!outcome.ok) {
      deps.log.info({ address, uid, reason: outcome.reason }, 'login failed');
      return showForm(res, found, 400, { username, error: INVALID_LOGIN });
    }
    deps.log.info({ sub: outcome.user.id, uid }, 'login succeeded');
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: outcome.user.id, amr: ['pwd'] } },
      { mergeWithLastSubmission: false },
    );
  };
}
