import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import type { Logger } from 'pino';
import { isStoreUnavailable } from '../../store/store-unavailable.ts';
import type { Store, UserRecord } from '../../store/types.ts';
import { IssuerError } from '../errors.ts';
import type { IssuerOptions } from '../issuer-options.ts';
import { loadIssuerSecrets } from '../login/issuer-secret.ts';
import { checkCsrfToken, createCsrfToken } from '../login/login-csrf.ts';
import { escapeHtml as esc, pageHeaders, renderMessagePage, renderPage } from '../login/login-page.ts';
import type { SignInFlow } from '../login/sign-in-flow.ts';
import { recoveryCodesBody, renderPasskeyPage, totpSetupBody } from '../login/sign-in-pages.ts';
import type { WebSession } from '../login/web-session.ts';
import { createWebSignIn } from '../login/web-sign-in.ts';
import {
  addPasskey,
  beginTotpSetup,
  confirmTotpSetup,
  describeFactors,
  type FactorsView,
  hasSecondFactor,
  pendingTotpSetup,
  regenerateRecoveryCodes,
  removePasskey,
  removeTotp,
} from '../mfa/manage-factors.ts';
import { isMfaRequired, type MfaPolicy } from '../mfa/mfa-policy.ts';
import {
  passkeyRegistrationOptions,
  type RelyingParty,
  relyingPartyOf,
  verifyPasskeyRegistration,
} from '../mfa/passkeys.ts';
import { renderQrSvg } from '../mfa/qr-code.ts';
import { readUrlencodedForm } from '../protect/read-urlencoded-form.ts';

// The account page: where a signed-in user manages how they sign in. They see their factors, set
// up an authenticator app (a QR code rendered on the server), make new recovery codes (shown
// once), register passkeys and remove any of these. It signs in with the same steps as the OAuth
// login. Every page is script-free but the passkey registration page, which loads the issuer's
// own two scripts (CSP script-src 'self' on that page only).

const BASE = '/account';
const SESSION_CSRF = 'account';
const MAX_FORM_BYTES = 16 * 1024;
/** A pending passkey registration (its challenge), under the session, in the store. */
const REGISTRATION_MODEL = 'PasskeyRegistration';
const REGISTRATION_TTL_SECONDS = 5 * 60;
const PASSKEY_NAME = /^[^\p{Cc}\p{Cf}]{1,64}$/u;

export interface AccountPageDeps {
  readonly store: Store;
  readonly issuerUrl: string;
  readonly login: IssuerOptions['login'];
  readonly kek: Buffer | null;
  readonly signIn: SignInFlow;
  readonly mfa: MfaPolicy;
  readonly now: () => number;
  readonly log: Logger;
}

const NOTICES: Readonly<Record<string, string>> = {
  'totp-removed': 'The authenticator app was removed.',
  'passkey-added': 'The passkey was added.',
  'passkey-removed': 'The passkey was removed.',
};

interface Signed {
  readonly session: WebSession;
  readonly user: UserRecord;
  readonly csrf: string;
}

function when(iso: string | null): string {
  return iso === null ? 'never' : esc(iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'));
}

/**
 * The account page at /account (sign-in at /account/login).
 *
 * @example
 * const account = createAccountPage({ store, issuerUrl, login, kek, signIn, mfa, now, log });
 * if (path === '/account' || path.startsWith('/account/')) return account(req, res, url);
 */
export function createAccountPage(
  deps: AccountPageDeps,
): (req: IncomingMessage, res: ServerResponse, url: string) => Promise<void> {
  const { store, log } = deps;
  const rp: RelyingParty = relyingPartyOf(deps.issuerUrl);
  const issuerName = new URL(deps.issuerUrl).host;
  const factorDeps = { store, kek: deps.kek, now: deps.now };
  let secrets: ReturnType<typeof loadIssuerSecrets> | null = null;
  const csrfKey = async () => {
    secrets ??= loadIssuerSecrets(store);
    try {
      return (await secrets).csrfKey;
    } catch (err) {
      secrets = null;
      throw err;
    }
  };
  const web = createWebSignIn({
    area: 'account',
    store,
    issuerUrl: deps.issuerUrl,
    flow: deps.signIn,
    csrfKey,
    perAddress: deps.login.perAddress,
    clientName: 'your account',
    clientId: 'jwtgate-account',
    admits: () => true,
    now: deps.now,
    log,
  });

  const send = (res: ServerResponse, status: number, html: string, scripts = false): void => {
    res.writeHead(status, pageHeaders([], { scripts })).end(html);
  };
  const redirect = (res: ServerResponse, location: string, cookies: string[] = []): void => {
    const headers = {
      location,
      'cache-control': 'no-store',
      ...(cookies.length ? { 'set-cookie': cookies } : {}),
    };
    res.writeHead(303, headers).end();
  };
  const post = (s: Signed, action: string, fields: string, attrs = '') =>
    `<form method="post" action="${esc(action)}"${attrs}>\n<input type="hidden" name="csrf" value="${esc(s.csrf)}">\n${fields}\n</form>`;

  function overview(
    s: Signed,
    factors: FactorsView,
    extra: { notice?: string; error?: string } = {},
  ): string {
    const required = isMfaRequired(s.user, deps.mfa);
    const totp =
      factors.totp === 'active'
        ? `<p>Set up. Codes from it are asked for after your password.</p>\n${post(s, `${BASE}/totp/remove`, '<button type="submit" class="secondary">Remove the authenticator app</button>')}`
        : `<p>${factors.totp === 'pending' ? 'A set-up was started but not confirmed.' : 'Not set up.'}</p>\n${post(s, `${BASE}/totp/begin`, '<button type="submit">Set up an authenticator app</button>')}`;
    const rows = factors.passkeys
      .map(
        (p) =>
          `<tr><td>${esc(p.name)}</td><td>${when(p.created_at)}</td><td>${when(p.last_used_at)}</td><td>${post(s, `${BASE}/passkeys/${encodeURIComponent(p.id)}/remove`, `<button type="submit" class="secondary" aria-label="Remove passkey ${esc(p.name)}">Remove</button>`, ' class="inline"')}</td></tr>`,
      )
      .join('\n');
    const passkeys =
      factors.passkeys.length === 0
        ? '<p>No passkeys.</p>'
        : `<table id="passkeys"><caption class="sr-only">Your passkeys</caption><thead><tr><th scope="col">Name</th><th scope="col">Added</th><th scope="col">Last used</th><th scope="col"><span class="sr-only">Action</span></th></tr></thead><tbody>\n${rows}\n</tbody></table>`;
    return renderPage(
      'Your account',
      `<h1>Your account</h1>
<p>Signed in as <strong>${esc(s.user.username)}</strong>.</p>
${extra.notice === undefined ? '' : `<p class="notice" role="status">${esc(extra.notice)}</p>\n`}${extra.error === undefined ? '' : `<p class="error" role="alert">${esc(extra.error)}</p>\n`}<p>${required ? 'Your account must use a second factor at sign-in.' : 'A second factor makes a stolen password useless on its own.'}</p>
<h2>Authenticator app</h2>
<div id="totp-status">${totp}</div>
<h2>Passkeys</h2>
<p>A passkey signs you in without a password, or confirms it is you after one.</p>
${passkeys}
<p><a class="button" href="${BASE}/passkeys/new" id="add-passkey">Add a passkey</a></p>
<h2>Recovery codes</h2>
<p id="recovery-left">${factors.recovery_codes_left} unused recovery code${factors.recovery_codes_left === 1 ? '' : 's'}.</p>
${hasSecondFactor(factors) ? post(s, `${BASE}/recovery-codes`, '<button type="submit" class="secondary">Make new recovery codes</button>') : '<p>Recovery codes come with your first second factor.</p>'}
<h2>Sign out</h2>
${post(s, `${BASE}/logout`, '<button type="submit" class="secondary">Sign out</button>')}`,
      { wide: true },
    );
  }

  const showOverview = async (res: ServerResponse, s: Signed, status = 200, extra = {}) =>
    send(res, status, overview(s, await describeFactors(store, s.user.id), extra));

  async function totpSetupPage(s: Signed, error?: string): Promise<string> {
    const setup =
      (await pendingTotpSetup(factorDeps, s.user, issuerName)) ??
      (await beginTotpSetup(factorDeps, s.user, issuerName));
    return renderPage(
      'Set up an authenticator app',
      `<h1>Set up an authenticator app</h1>
${totpSetupBody({
  action: `${BASE}/totp/confirm`,
  csrf: s.csrf,
  qrSvg: await renderQrSvg(setup.uri, 'QR code to add this account to an authenticator app'),
  secret: setup.secret,
  ...(error === undefined ? {} : { error }),
})}
<p><a href="${BASE}">Back to your account</a></p>`,
      { wide: true },
    );
  }

  const codesPage = (title: string, codes: readonly string[] | null, intro: string) =>
    renderPage(
      title,
      `<h1>${esc(title)}</h1>\n<p>${esc(intro)}</p>\n${codes === null ? '' : recoveryCodesBody(codes)}\n<p><a href="${BASE}" id="back-to-account">Back to your account</a></p>`,
      { wide: true },
    );

  async function registrationPage(s: Signed, error?: string): Promise<string> {
    const existing = await store.passkeys.listForUser(s.user.id);
    const options = await passkeyRegistrationOptions(rp, s.user, existing);
    await store.oidc.upsert(
      REGISTRATION_MODEL,
      s.session.key,
      { challenge: options.challenge },
      REGISTRATION_TTL_SECONDS,
    );
    return renderPasskeyPage({
      action: `${BASE}/passkeys`,
      csrf: s.csrf,
      title: 'Add a passkey',
      intro:
        'Your browser or device saves a passkey for this site; it asks for your PIN, fingerprint or face.',
      ceremony: 'register',
      options,
      step: 'register',
      back: { href: BASE, label: 'Back to your account' },
      extraFields: `<label for="passkey-name">Name</label>\n<input id="passkey-name" name="name" type="text" maxlength="64" value="${esc(`Passkey ${existing.length + 1}`)}" required>\n`,
      ...(error === undefined ? {} : { error }),
    });
  }

  /** The user may not go below what is required of them. */
  const refusesLastFactor = async (s: Signed, remove: 'totp' | 'passkey') => {
    if (!isMfaRequired(s.user, deps.mfa)) return false;
    const f = await describeFactors(store, s.user.id);
    const left =
      (f.totp === 'active' && remove !== 'totp' ? 1 : 0) + f.passkeys.length - (remove === 'passkey' ? 1 : 0);
    return left < 1;
  };

  async function action(res: ServerResponse, s: Signed, parts: string[], form: URLSearchParams) {
    const [area, id, verb] = parts;
    const actor = `account:${s.user.username}`;
    try {
      if (area === 'totp' && id === 'begin' && parts.length === 2)
        return send(res, 200, await totpSetupPage(s));
      if (area === 'totp' && id === 'confirm' && parts.length === 2) {
        try {
          const { recoveryCodes } = await confirmTotpSetup(factorDeps, s.user, form.get('code') ?? '', actor);
          return send(
            res,
            200,
            codesPage(
              'Authenticator app set up',
              recoveryCodes,
              'Codes from your authenticator app are now asked for after your password.',
            ),
          );
        } catch (err) {
          if (err instanceof IssuerError && err.code === 'ERR_FACTOR_INVALID')
            return send(res, 400, await totpSetupPage(s, err.message));
          throw err;
        }
      }
      if (area === 'totp' && id === 'remove' && parts.length === 2) {
        if (await refusesLastFactor(s, 'totp'))
          return showOverview(res, s, 400, {
            error: 'Your account must keep a second factor: add a passkey first.',
          });
        await removeTotp(factorDeps, s.user, actor);
        return redirect(res, `${BASE}?done=totp-removed`);
      }
      if (area === 'recovery-codes' && parts.length === 1) {
        if (!hasSecondFactor(await describeFactors(store, s.user.id)))
          return showOverview(res, s, 400, { error: 'Set up a second factor first.' });
        const codes = await regenerateRecoveryCodes(factorDeps, s.user, actor);
        return send(
          res,
          200,
          codesPage('New recovery codes', codes, 'Your earlier recovery codes no longer work.'),
        );
      }
      if (area === 'passkeys' && parts.length === 1) {
        const pending = await store.oidc.find(REGISTRATION_MODEL, s.session.key);
        await store.oidc.destroy(REGISTRATION_MODEL, s.session.key);
        const name = (form.get('name') ?? '').trim();
        if (!PASSKEY_NAME.test(name))
          return send(
            res,
            400,
            await registrationPage(s, 'Give the passkey a name of 1-64 characters.'),
            true,
          );
        let response: RegistrationResponseJSON;
        try {
          response = JSON.parse(form.get('response') ?? '') as RegistrationResponseJSON;
        } catch {
          return send(res, 400, await registrationPage(s, 'The browser sent no passkey. Try again.'), true);
        }
        const verified =
          typeof pending?.challenge === 'string' && response !== null && typeof response === 'object'
            ? await verifyPasskeyRegistration(rp, response, pending.challenge, { userId: s.user.id, name })
            : null;
        if (verified === null) {
          log.info({ sub: s.user.id }, 'passkey registration refused');
          return send(
            res,
            400,
            await registrationPage(s, 'The passkey could not be verified. Try again.'),
            true,
          );
        }
        const added = await addPasskey(factorDeps, s.user, verified, actor);
        if (added.recoveryCodes !== null)
          return send(
            res,
            200,
            codesPage('Passkey added', added.recoveryCodes, 'You can now sign in with it.'),
          );
        return redirect(res, `${BASE}?done=passkey-added`);
      }
      if (area === 'passkeys' && id !== undefined && verb === 'remove' && parts.length === 3) {
        if (await refusesLastFactor(s, 'passkey'))
          return showOverview(res, s, 400, {
            error: 'Your account must keep a second factor: set up another first.',
          });
        await removePasskey(factorDeps, s.user, id, actor);
        return redirect(res, `${BASE}?done=passkey-removed`);
      }
    } catch (err) {
      if (err instanceof IssuerError && err.status < 500)
        return showOverview(res, s, err.status, { error: err.message });
      throw err;
    }
    return send(res, 404, renderMessagePage('Not found', 'There is no such page.'));
  }

  async function handle(req: IncomingMessage, res: ServerResponse, rawUrl: string): Promise<void> {
    const url = new URL(rawUrl, 'http://account.invalid');
    const path = url.pathname;
    if (web.owns(path)) return web.handle(req, res, path);
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'POST') {
      res.writeHead(405, { allow: 'GET, POST', 'cache-control': 'no-store' }).end();
      return;
    }
    const current = await web.authenticated(req);
    if (current === undefined) return redirect(res, web.loginPath);
    const s: Signed = {
      ...current,
      csrf: createCsrfToken(await csrfKey(), SESSION_CSRF, current.session.key),
    };
    let parts: string[];
    try {
      parts = path.split('/').slice(2).filter(Boolean).map(decodeURIComponent);
    } catch {
      parts = ['\0'];
    }
    if (method === 'GET') {
      if (parts.length === 0) {
        const notice = NOTICES[url.searchParams.get('done') ?? ''];
        return showOverview(res, s, 200, notice === undefined ? {} : { notice });
      }
      if (parts.length === 2 && parts[0] === 'passkeys' && parts[1] === 'new')
        return send(res, 200, await registrationPage(s), true);
      return send(res, 404, renderMessagePage('Not found', 'There is no such page.'));
    }
    const read = await readUrlencodedForm(req, MAX_FORM_BYTES);
    if (!read.ok) {
      res
        .writeHead(read.status, { ...pageHeaders(), connection: 'close' })
        .end(renderMessagePage('Bad request', 'The form could not be read.'));
      return;
    }
    if (!checkCsrfToken(await csrfKey(), SESSION_CSRF, s.session.key, read.form.get('csrf'))) {
      log.warn({ sub: s.user.id, path }, 'account form refused: bad CSRF token');
      return send(
        res,
        403,
        renderMessagePage(
          'Form refused',
          'This form was not sent by this page, or your session changed. Reload the page and try again.',
        ),
      );
    }
    if (parts.length === 1 && parts[0] === 'logout')
      return redirect(res, web.loginPath, [await web.logout(s.session)]);
    return action(res, s, parts, read.form);
  }

  return async function handleAccount(req, res, url) {
    try {
      await handle(req, res, url);
    } catch (err) {
      const unavailable = isStoreUnavailable(err);
      if (unavailable) log.warn({ error: (err as Error).message }, 'store unreachable');
      else log.error({ err }, 'account request failed');
      if (res.headersSent) res.destroy();
      else
        res
          .writeHead(unavailable ? 503 : 500, pageHeaders())
          .end(
            renderMessagePage(
              unavailable ? 'Store unavailable' : 'Something went wrong',
              unavailable
                ? 'The store is unreachable; retry shortly.'
                : 'The request failed on the server; it has been logged.',
            ),
          );
    }
  };
}
