import { createHash } from 'node:crypto';
import type { Client, KoaContext } from 'oidc-provider';
import type { Store } from '../../store/types.ts';
import { renderDeviceConfirmPage, renderDeviceDonePage, renderUserCodePage } from '../login/device-pages.ts';
import { pageHeaders } from '../login/login-page.ts';
import { DEVICE_CODE_GRANT } from './grant-types.ts';

// The device authorization grant (RFC 8628) as oidc-provider runs it, with the issuer's pages and
// the two parts oidc-provider leaves out: the polling interval (3.2: `interval` in the answer;
// 3.5: `slow_down`, the interval then 5 s longer) and `expired_token` after the code's end
// (oidc-provider answers it only while the code is still stored).

/** Paths of the device flow: the device authorization endpoint and the verification URI (3.3). */
export const DEVICE_ROUTES = {
  deviceAuthorization: '/device/auth',
  codeVerification: '/device',
} as const;

/** The oidc payload model of the polling state of a device code. */
const POLL_MODEL = 'DevicePoll';
/** RFC 8628 3.5: "the interval MUST be increased by 5 seconds for this and all subsequent requests". */
const SLOW_DOWN_SECONDS = 5;

export interface DeviceFlowSetup {
  readonly store: Store;
  readonly codeLifetimeSeconds: number;
  readonly pollIntervalSeconds: number;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
}

/** How long an expired device code is kept, so a late poll is told `expired_token`, not `invalid_grant`. */
export function deviceCodeRetentionSeconds(setup: Pick<DeviceFlowSetup, 'codeLifetimeSeconds'>): number {
  return setup.codeLifetimeSeconds;
}

const MESSAGES: Readonly<Record<string, string>> = {
  NoCodeError: 'Enter the code your device shows.',
  NotFoundError: 'That code is not valid. Check the code on your device and try again.',
  ExpiredError: 'That code has expired. Start the sign-in on your device again.',
  AlreadyUsedError: 'That code has already been used. Start the sign-in on your device again.',
};

/** oidc-provider's CSRF value, read from the form it built (the one place it hands it over). */
function xsrfOf(form: string): string {
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(form)?.[1];
  if (xsrf === undefined) throw new Error('the device code form carries no CSRF value');
  return xsrf;
}

function sendPage(ctx: KoaContext, html: string): void {
  for (const [name, value] of Object.entries(pageHeaders())) ctx.set(name, value);
  ctx.body = html;
}

const clientName = (client: Client | undefined) =>
  String((client?.clientName as string | undefined) ?? client?.clientId ?? 'The application');

/** The `features.deviceFlow` configuration of the Provider. */
export function deviceFlowFeature(): Record<string, unknown> {
  return {
    enabled: true,
    // RFC 8628 6.1: base-20 consonants, 8 characters: about 34 bits, with the attempts throttled.
    charset: 'base-20',
    mask: '****-****',
    async userCodeInputSource(
      ctx: KoaContext,
      form: string,
      _out: unknown,
      err?: Error & { userCode?: string },
    ) {
      const name = err?.name;
      sendPage(
        ctx,
        renderUserCodePage({
          action: DEVICE_ROUTES.codeVerification,
          xsrf: xsrfOf(form),
          ...(err?.userCode === undefined ? {} : { userCode: err.userCode }),
          ...(name === undefined || name === 'AbortedError'
            ? {}
            : {
                error:
                  MESSAGES[name] ??
                  'This form has expired or was not sent by this page. Enter the code again.',
              }),
          cancelled: name === 'AbortedError',
        }),
      );
    },
    async userCodeConfirmSource(
      ctx: KoaContext,
      form: string,
      client: Client,
      _info: unknown,
      userCode: string,
    ) {
      sendPage(ctx, renderDeviceConfirmPage({ form, clientName: clientName(client), userCode }));
    },
    async successSource(ctx: KoaContext) {
      sendPage(ctx, renderDeviceDonePage(clientName(ctx.oidc?.client)));
    },
  };
}

/**
 * After oidc-provider answered a token request: at the device authorization endpoint, adds the
 * polling interval; for a device code still pending, turns a poll that came sooner than the
 * interval into `slow_down` and lengthens the interval (RFC 8628 3.5). Polls are counted per
 * device code, in the store, so replicas agree.
 */
export async function pacePolling(ctx: KoaContext, setup: DeviceFlowSetup): Promise<void> {
  const route = ctx.oidc?.route;
  const body = ctx.body as Record<string, unknown> | undefined;
  if (route === 'device_authorization' && ctx.status === 200 && body !== undefined) {
    body.interval = setup.pollIntervalSeconds;
    return;
  }
  const params = ctx.oidc?.params;
  if (
    route !== 'token' ||
    params?.grant_type !== DEVICE_CODE_GRANT ||
    body?.error !== 'authorization_pending'
  )
    return;
  const deviceCode = params.device_code;
  if (typeof deviceCode !== 'string') return;
  // Keyed by a hash: the device code is a credential, and this row must not be a second copy of it.
  const id = createHash('sha256').update(deviceCode).digest('base64url');
  const at = setup.now();
  const last = await setup.store.oidc.find(POLL_MODEL, id);
  let interval = typeof last?.interval === 'number' ? last.interval : setup.pollIntervalSeconds;
  const tooSoon = typeof last?.at === 'number' && at - last.at < interval * 1000;
  if (tooSoon) interval += SLOW_DOWN_SECONDS;
  await setup.store.oidc.upsert(
    POLL_MODEL,
    id,
    { at, interval },
    setup.codeLifetimeSeconds + deviceCodeRetentionSeconds(setup),
  );
  if (tooSoon)
    ctx.body = {
      error: 'slow_down',
      error_description: `polling too often: wait at least ${interval} seconds between requests`,
    };
}
