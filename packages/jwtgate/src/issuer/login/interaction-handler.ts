import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { InteractionDetails } from 'oidc-provider';
import type { Logger } from 'pino';
import { createRateLimiter } from '../../lib/rate-limit.ts';
import type { Store } from '../../store/types.ts';
import { clientAddress } from '../protect/client-address.ts';
import { readUrlencodedForm } from '../protect/read-urlencoded-form.ts';
import type { RateOption } from '../protect/token-endpoint-guard.ts';
import { checkCsrfToken, createCsrfToken } from './login-csrf.ts';
import { pageHeaders, renderMessagePage } from './login-page.ts';
import { INVALID_LOGIN, type SignInAnswer, type SignInFlow, type SignInRequest } from './sign-in-flow.ts';

/** oidc-provider's interactions.url: `${INTERACTION_PREFIX}${uid}`. */
export const INTERACTION_PREFIX = '/interaction/';

export { INVALID_LOGIN };

const UID = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_FORM_BYTES = 8 * 1024;
const CSRF_PURPOSE = 'login';

export interface InteractionDeps {
  /** The Provider serving now (it is rebuilt when keys change; interactions live in the store). */
  readonly provider: () => Provider;
  readonly store: Store;
  readonly csrfKey: () => Buffer;
  /** The sign-in steps (password, second factor, passkeys), shared with the console and account page. */
  readonly signIn: SignInFlow;
  /** Login attempts per client address (token bucket); null turns it off. */
  readonly perAddress: RateOption | null;
  readonly now: () => number;
  readonly log: Logger;
}

function send(res: ServerResponse, status: number, html: string, headers: Record<string, string>): void {
  res.writeHead(status, headers).end(html);
}

/**
 * The hosted login at GET/POST /interaction/:uid (and its passkey page, GET
 * /interaction/:uid/passkey), where oidc-provider sends the browser when the authorization
 * request needs a login. Every form carries a CSRF token (an HMAC of the interaction uid) and is
 * accepted only with the interaction cookie of that same uid. The steps are the sign-in flow's
 * (password, then a second factor where the user has or needs one; or a passkey); the result is
 * handed to oidc-provider with how the user signed in (amr, acr), which the tokens carry. Attempts
 * are throttled per client address. Every client is first-party: consent is granted by
 * loadExistingGrant (user-flows.ts); a consent prompt the client forces with prompt=consent is
 * answered here without a page.
 *
 * @example
 * const interactions = createInteractionHandler({ provider: () => current, store, csrfKey, signIn, perAddress, now, log });
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

  const signInRequest = async (req: IncomingMessage, found: InteractionDetails): Promise<SignInRequest> => {
    const clientId = String(found.params.client_id ?? '');
    const client = clientId ? await deps.store.clients.get(clientId) : undefined;
    const redirectUri = found.params.redirect_uri;
    return {
      key: found.uid,
      action: `${INTERACTION_PREFIX}${found.uid}`,
      csrf: createCsrfToken(deps.csrfKey(), CSRF_PURPOSE, found.uid),
      clientName: client?.name ?? clientId,
      clientId,
      address: clientAddress(req),
      formTargets: typeof redirectUri === 'string' ? [redirectUri] : [],
      ...(typeof found.params.login_hint === 'string' ? { loginHint: found.params.login_hint } : {}),
    };
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

  const answer = async (req: IncomingMessage, res: ServerResponse, outcome: SignInAnswer, uid: string) => {
    if (outcome.kind === 'page') return send(res, outcome.status, outcome.html, outcome.headers);
    deps.log.info({ sub: outcome.user.id, uid, amr: outcome.amr }, 'login succeeded');
    await deps
      .provider()
      .interactionFinished(
        req,
        res,
        { login: { accountId: outcome.user.id, amr: [...outcome.amr], acr: outcome.acr } },
        { mergeWithLastSubmission: false },
      );
  };

  return async function handleInteraction(req, res, path) {
    const rest = path.slice(INTERACTION_PREFIX.length);
    const passkey = rest.endsWith('/passkey');
    const uid = passkey ? rest.slice(0, -'/passkey'.length) : rest;
    if (!UID.test(uid)) return expired(res);
    const method = req.method ?? 'GET';
    if (method === 'GET') {
      const found = await details(req, res, uid);
      if (found === undefined) return expired(res);
      if (found.prompt.name === 'consent') return consent(req, res, found);
      const r = await signInRequest(req, found);
      return answer(req, res, passkey ? await deps.signIn.showPasskey(r) : await deps.signIn.show(r), uid);
    }
    if (method !== 'POST' || passkey) {
      res.writeHead(405, { allow: passkey ? 'GET' : 'GET, POST', 'cache-control': 'no-store' }).end();
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
    if (form.get('action') === 'cancel') {
      await deps.signIn.end(uid);
      return deps
        .provider()
        .interactionFinished(
          req,
          res,
          { error: 'access_denied', error_description: 'the user cancelled the sign-in' },
          { mergeWithLastSubmission: false },
        );
    }
    return answer(req, res, await deps.signIn.submit(await signInRequest(req, found), form), uid);
  };
}
