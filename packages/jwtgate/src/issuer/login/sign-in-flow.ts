import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { Logger } from 'pino';
import type { Store, UserRecord } from '../../store/types.ts';
import { recordAudit } from '../audit.ts';
import { IssuerError } from '../errors.ts';
import {
  beginTotpSetup,
  checkTotpCode,
  confirmTotpSetup,
  describeFactors,
  hasSecondFactor,
  pendingTotpSetup,
  useRecoveryCode,
} from '../mfa/manage-factors.ts';
import { isMfaRequired, type MfaPolicy } from '../mfa/mfa-policy.ts';
import {
  passkeyAuthenticationOptions,
  type RelyingParty,
  userIdOfHandle,
  verifyPasskeyAssertion,
} from '../mfa/passkeys.ts';
import { renderQrSvg } from '../mfa/qr-code.ts';
import {
  authenticateUser,
  checkSignInAllowed,
  completeSignIn,
  countSignInFailure,
  type FactorFailure,
  type UserLockout,
} from './authenticate-user.ts';
import { describeSignIn, type SignInMethod } from './describe-sign-in.ts';
import { pageHeaders, renderLoginPage } from './login-page.ts';
import {
  renderPasskeyPage,
  renderRecoveryCodesPage,
  renderSecondFactorPage,
  renderTotpSetupPage,
} from './sign-in-pages.ts';
import { createSignInStates, type SignInState } from './sign-in-state.ts';

/** The one message for every failed login: no user enumeration (OWASP ASVS 2.2, 3.2). */
export const INVALID_LOGIN = 'Invalid username or password.';
const INVALID_CODE = 'That code is not valid. Try the code your app shows now.';
const INVALID_RECOVERY = 'That recovery code is not valid, or it was used already.';
const PASSKEY_REFUSED = 'The passkey was not accepted. Try again, or sign in another way.';
const START_OVER = 'This sign-in step has expired. Sign in again.';

export interface SignInDeps {
  readonly store: Store;
  /** Key encryption key of TOTP secrets at rest, or null. */
  readonly kek: Buffer | null;
  readonly lockout: UserLockout | null;
  readonly now: () => number;
  readonly log: Logger;
  readonly mfa: MfaPolicy;
  readonly rp: RelyingParty;
  /** The name authenticator apps show for this issuer. */
  readonly issuerName: string;
}

/** One request of a sign-in, as the page hosting it (OAuth login, console, account page) sees it. */
export interface SignInRequest {
  /** The flow's key: the interaction uid, or the login cookie's value. */
  readonly key: string;
  /** The URL the step forms post to; the passkey page is `${action}/passkey`. */
  readonly action: string;
  readonly csrf: string;
  /** What the user signs in to, on the password page. */
  readonly clientName: string;
  /** For the audit log. */
  readonly clientId: string;
  readonly address: string;
  /** Origins a form's answer may redirect to (the CSP's form-action). */
  readonly formTargets?: readonly string[];
  /** Whether this page lets the user in at all (the console: administrators only). */
  readonly admits?: (user: UserRecord) => boolean;
  readonly loginHint?: string;
}

export type SignInAnswer =
  | {
      readonly kind: 'page';
      readonly status: number;
      readonly html: string;
      readonly headers: Record<string, string>;
    }
  | {
      readonly kind: 'done';
      readonly user: UserRecord;
      readonly methods: readonly SignInMethod[];
      readonly amr: readonly string[];
      readonly acr: string;
    };

export interface SignInFlow {
  /** GET of the step's URL: the page of the step the sign-in is at (first: the password). */
  show(r: SignInRequest): Promise<SignInAnswer>;
  /** GET of `${action}/passkey`: a passkey instead of the password, or as the second factor. */
  showPasskey(r: SignInRequest): Promise<SignInAnswer>;
  /** POST of a step's form (its CSRF token checked by the host, `action=cancel` handled by it). */
  submit(r: SignInRequest, form: URLSearchParams): Promise<SignInAnswer>;
  /** Forgets the sign-in (cancelled). */
  end(key: string): Promise<void>;
}

/**
 * A sign-in of one or more steps. First the password (or a passkey, which is two factors on its
 * own); then, for a user who has a second factor, a code from the authenticator app, a recovery
 * code or a passkey; a user who must use one and has none sets up an authenticator app there and
 * then (shown its recovery codes once). Every wrong password, code or passkey counts towards the
 * one lock-out; the count clears only when the whole sign-in succeeds. The answer is a page, or
 * the signed-in user with how they signed in (amr, acr).
 *
 * @example
 * const flow = createSignInFlow({ store, kek, lockout, now, log, mfa, rp, issuerName });
 * const answer = await flow.submit({ key: uid, action: `/interaction/${uid}`, csrf, ... }, form);
 */
export function createSignInFlow(deps: SignInDeps): SignInFlow {
  const { store, log } = deps;
  const states = createSignInStates(store);
  const factorDeps = { store, kek: deps.kek, now: deps.now };
  const context = (r: SignInRequest) => ({ address: r.address, clientId: r.clientId });

  const page = (r: SignInRequest, status: number, html: string, scripts = false): SignInAnswer => ({
    kind: 'page',
    status,
    html,
    headers: pageHeaders(r.formTargets ?? [], { scripts }),
  });
  const passkeyHref = (r: SignInRequest) => `${r.action}/passkey`;

  const passwordPage = (
    r: SignInRequest,
    status: number,
    extra: { username?: string; error?: string } = {},
  ) =>
    page(
      r,
      status,
      renderLoginPage({
        action: r.action,
        csrf: r.csrf,
        clientName: r.clientName,
        passkeyHref: passkeyHref(r),
        ...(extra.username !== undefined
          ? { username: extra.username }
          : r.loginHint !== undefined
            ? { username: r.loginHint }
            : {}),
        ...(extra.error === undefined ? {} : { error: extra.error }),
      }),
    );

  /** The sign-in ends here, refused: the state is gone, and the password page says only INVALID_LOGIN. */
  const refuse = async (r: SignInRequest, error = INVALID_LOGIN) => {
    await states.clear(r.key);
    return passwordPage(r, 400, { error });
  };

  const secondFactorPage = async (r: SignInRequest, user: UserRecord, status: number, error?: string) => {
    const factors = await describeFactors(store, user.id);
    return page(
      r,
      status,
      renderSecondFactorPage({
        action: r.action,
        csrf: r.csrf,
        totp: factors.totp === 'active',
        passkeyHref: factors.passkeys.length > 0 ? passkeyHref(r) : null,
        ...(error === undefined ? {} : { error }),
      }),
    );
  };

  const setupPage = async (r: SignInRequest, user: UserRecord, status: number, error?: string) => {
    const setup =
      (await pendingTotpSetup(factorDeps, user, deps.issuerName)) ??
      (await beginTotpSetup(factorDeps, user, deps.issuerName));
    return page(
      r,
      status,
      renderTotpSetupPage({
        action: r.action,
        csrf: r.csrf,
        secret: setup.secret,
        qrSvg: await renderQrSvg(setup.uri, 'QR code to add this account to an authenticator app'),
        ...(error === undefined ? {} : { error }),
      }),
    );
  };

  const finish = async (r: SignInRequest, user: UserRecord, methods: readonly SignInMethod[]) => {
    const described = describeSignIn(methods);
    if (!(await completeSignIn(deps, user, context(r), described.amr))) return refuse(r);
    await states.clear(r.key);
    log.info({ sub: user.id, amr: described.amr }, 'sign-in succeeded');
    return { kind: 'done', user, methods, amr: described.amr, acr: described.acr } as const;
  };

  /** After the first factor: the second one if the user has one, its set-up if one is required, or done. */
  const afterFirstFactor = async (r: SignInRequest, user: UserRecord, methods: readonly SignInMethod[]) => {
    if (describeSignIn(methods).amr.includes('mfa')) return finish(r, user, methods);
    const factors = await describeFactors(store, user.id);
    if (hasSecondFactor(factors)) {
      await states.save(r.key, { userId: user.id, methods, step: 'second-factor', challenge: null });
      return secondFactorPage(r, user, 200);
    }
    if (isMfaRequired(user, deps.mfa)) {
      await states.save(r.key, { userId: user.id, methods, step: 'setup', challenge: null });
      return setupPage(r, user, 200);
    }
    return finish(r, user, methods);
  };

  /** A wrong second factor: counted; the sign-in ends if that locked the account. */
  const wrongFactor = async (r: SignInRequest, user: UserRecord, reason: FactorFailure, error: string) => {
    const counted = await countSignInFailure(deps, user, context(r), reason);
    log.info({ sub: user.id, reason }, 'second factor refused');
    if (counted === 'locked') return refuse(r);
    return secondFactorPage(r, user, 400, error);
  };

  /** The user of a later step, still allowed to sign in; undefined when the sign-in must end. */
  const currentUser = async (state: SignInState): Promise<UserRecord | undefined> => {
    if (state.userId === null) return undefined;
    const allowed = await checkSignInAllowed(deps, state.userId);
    return allowed.ok ? allowed.user : undefined;
  };

  const admits = (r: SignInRequest, user: UserRecord) => r.admits?.(user) ?? true;
  const notAdmitted = async (r: SignInRequest, user: UserRecord) => {
    // A right password or passkey, but this page is not for this user: the same answer as a wrong one.
    await recordAudit(
      store,
      {
        type: 'login.failed',
        actor: user.id,
        subject: user.id,
        detail: { address: r.address, client_id: r.clientId, reason: 'not_admin' },
      },
      (err) => log.error({ err }, 'audit failed'),
    );
    return refuse(r);
  };

  const passkeyPage = async (r: SignInRequest, state: SignInState, status: number, error?: string) => {
    const user = state.userId === null ? undefined : await currentUser(state);
    if (state.userId !== null && user === undefined) return refuse(r);
    const allow = user === undefined ? null : await store.passkeys.listForUser(user.id);
    const options = await passkeyAuthenticationOptions(deps.rp, allow);
    await states.save(r.key, { ...state, challenge: options.challenge });
    return page(
      r,
      status,
      renderPasskeyPage({
        action: r.action,
        csrf: r.csrf,
        title: user === undefined ? 'Sign in with a passkey' : 'Use your passkey',
        intro:
          user === undefined
            ? `Use a passkey saved for this site to sign in to ${r.clientName}.`
            : 'Confirm it is you with one of your passkeys.',
        ceremony: 'authenticate',
        options,
        step: 'passkey',
        back: {
          href: r.action,
          label: user === undefined ? 'Sign in with your password instead' : 'Use a code instead',
        },
        ...(error === undefined ? {} : { error }),
      }),
      true,
    );
  };

  const submitPasskey = async (r: SignInRequest, state: SignInState, form: URLSearchParams) => {
    if (state.challenge === null || (state.step !== 'password' && state.step !== 'second-factor'))
      return refuse(r, START_OVER);
    // The challenge is spent whatever comes of it.
    await states.save(r.key, { ...state, challenge: null });
    let response: AuthenticationResponseJSON;
    try {
      response = JSON.parse(form.get('response') ?? '') as AuthenticationResponseJSON;
      if (response === null || typeof response !== 'object' || typeof response.id !== 'string')
        throw new TypeError('not an assertion');
    } catch {
      return passkeyPage(r, { ...state, challenge: null }, 400, PASSKEY_REFUSED);
    }
    const passkey = await store.passkeys.get(response.id);
    const handle = userIdOfHandle(response);
    const ownerId = state.userId ?? passkey?.userId;
    const owner = ownerId === undefined ? undefined : await store.users.get(ownerId);
    const matches =
      passkey !== undefined && passkey.userId === ownerId && (handle === undefined || handle === ownerId);
    const verified =
      matches && passkey !== undefined && owner !== undefined
        ? await verifyPasskeyAssertion(deps.rp, response, state.challenge, passkey)
        : null;
    if (verified === null || passkey === undefined || owner === undefined) {
      log.info({ sub: owner?.id, first_step: state.userId === null }, 'passkey refused');
      if (owner !== undefined && state.userId !== null) {
        const counted = await countSignInFailure(deps, owner, context(r), 'passkey_failed');
        if (counted === 'locked') return refuse(r);
      }
      return passkeyPage(r, { ...state, challenge: null }, 400, PASSKEY_REFUSED);
    }
    const allowed = await checkSignInAllowed(deps, owner.id);
    if (!allowed.ok) {
      await countSignInFailure(deps, owner, context(r), allowed.reason);
      return refuse(r);
    }
    if (!admits(r, allowed.user)) return notAdmitted(r, allowed.user);
    await store.passkeys.recordUse(passkey.id, verified.counter, deps.now());
    return finish(r, allowed.user, [...state.methods, 'passkey']);
  };

  const show = async (r: SignInRequest): Promise<SignInAnswer> => {
    const state = await states.get(r.key);
    if (state.userId === null) return passwordPage(r, 200);
    const user = await currentUser(state);
    if (user === undefined) return refuse(r);
    switch (state.step) {
      case 'second-factor':
        return secondFactorPage(r, user, 200);
      case 'setup':
        return setupPage(r, user, 200);
      case 'recovery-codes':
        return page(r, 200, renderRecoveryCodesPage({ action: r.action, csrf: r.csrf, codes: null }));
      default:
        return passwordPage(r, 200);
    }
  };

  return {
    show,

    async showPasskey(r) {
      const state = await states.get(r.key);
      if (state.step === 'setup' || state.step === 'recovery-codes') return show(r);
      return passkeyPage(r, state, 200);
    },

    async submit(r, form) {
      const state = await states.get(r.key);
      const step = form.get('step') ?? 'password';
      if (step === 'password') {
        const username = (form.get('username') ?? '').slice(0, 256);
        const outcome = await authenticateUser(
          { ...deps, onError: (err) => log.error({ err }, 'audit failed') },
          { username, password: form.get('password') ?? '', ...context(r) },
          { completes: false },
        );
        if (!outcome.ok) {
          log.info({ address: r.address, reason: outcome.reason }, 'login failed');
          await states.clear(r.key);
          return passwordPage(r, 400, { username, error: INVALID_LOGIN });
        }
        if (!admits(r, outcome.user)) return notAdmitted(r, outcome.user);
        return afterFirstFactor(r, outcome.user, ['pwd']);
      }
      if (step === 'passkey') return submitPasskey(r, state, form);

      const expected = {
        otp: 'second-factor',
        recovery: 'second-factor',
        setup: 'setup',
        continue: 'recovery-codes',
      }[step];
      if (expected === undefined || state.step !== expected) return refuse(r, START_OVER);
      const user = await currentUser(state);
      if (user === undefined) return refuse(r);
      switch (step) {
        case 'otp': {
          const check = await checkTotpCode(factorDeps, user.id, form.get('code') ?? '');
          if (check === 'ok') return finish(r, user, [...state.methods, 'otp']);
          return wrongFactor(r, user, check === 'reused' ? 'reused_otp' : 'wrong_otp', INVALID_CODE);
        }
        case 'recovery': {
          if (await useRecoveryCode(factorDeps, user, form.get('recovery_code') ?? ''))
            return finish(r, user, [...state.methods, 'otp']);
          return wrongFactor(r, user, 'wrong_recovery_code', INVALID_RECOVERY);
        }
        case 'setup': {
          try {
            const { recoveryCodes } = await confirmTotpSetup(
              factorDeps,
              user,
              form.get('code') ?? '',
              user.id,
            );
            await states.save(r.key, {
              ...state,
              methods: [...state.methods, 'otp'],
              step: 'recovery-codes',
            });
            return page(
              r,
              200,
              renderRecoveryCodesPage({ action: r.action, csrf: r.csrf, codes: recoveryCodes }),
            );
          } catch (err) {
            if (!(err instanceof IssuerError) || err.code !== 'ERR_FACTOR_INVALID') throw err;
            return setupPage(r, user, 400, err.message);
          }
        }
        default:
          return finish(r, user, state.methods);
      }
    },

    end: (key) => states.clear(key),
  };
}
