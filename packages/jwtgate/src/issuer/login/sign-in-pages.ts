import { escapeHtml as esc, renderPage } from './login-page.ts';
import { passkeyScripts } from './page-assets.ts';

// The pages of a sign-in's later steps (a second factor, setting one up, the recovery codes shown
// once) and of the passkey ceremonies, shared by the OAuth login, the console and the account page.
// Every form posts to the step's own URL with its CSRF token and a `step` naming what it answers.

export interface StepPage {
  /** Where the forms post. */
  readonly action: string;
  readonly csrf: string;
  readonly error?: string;
}

const hidden = (csrf: string, step: string) =>
  `<input type="hidden" name="csrf" value="${esc(csrf)}">\n<input type="hidden" name="step" value="${esc(step)}">`;

const errorOf = (error: string | undefined, id = 'step-error') =>
  error === undefined ? '' : `<p class="error" role="alert" id="${id}">${esc(error)}</p>\n`;

const cancelForm = (p: StepPage) =>
  `<form method="post" action="${esc(p.action)}">\n<input type="hidden" name="csrf" value="${esc(p.csrf)}">\n<button type="submit" name="action" value="cancel" class="secondary">Cancel</button>\n</form>`;

/**
 * After the password: a code from the authenticator app, or a recovery code, or the passkey page.
 * The fields are labelled, autocomplete="one-time-code" lets the browser offer a code it knows.
 */
export function renderSecondFactorPage(
  p: StepPage & { readonly totp: boolean; readonly passkeyHref: string | null },
): string {
  const described = p.error === undefined ? '' : ' aria-describedby="step-error"';
  const totp = p.totp
    ? `<form method="post" action="${esc(p.action)}">
${hidden(p.csrf, 'otp')}
<label for="otp">Code from your authenticator app</label>
<input id="otp" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" maxlength="7" required autofocus${described}>
<button type="submit">Verify</button>
</form>`
    : '';
  const passkey =
    p.passkeyHref === null ? '' : `<p><a href="${esc(p.passkeyHref)}" id="use-passkey">Use a passkey</a></p>`;
  return renderPage(
    'Verify it is you',
    `<h1>Verify it is you</h1>
<p>Your account asks for a second step.</p>
${errorOf(p.error)}${totp}
${passkey}
<form method="post" action="${esc(p.action)}">
${hidden(p.csrf, 'recovery')}
<label for="recovery-code">Or a recovery code</label>
<input id="recovery-code" name="recovery_code" type="text" autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="32" required>
<button type="submit" class="secondary">Use recovery code</button>
</form>
${cancelForm(p)}`,
  );
}

/** The body that sets up an authenticator app: the QR code (server-rendered SVG), the secret to type, the first code. */
export function totpSetupBody(
  p: StepPage & { readonly qrSvg: string; readonly secret: string; readonly step?: string },
): string {
  const described = p.error === undefined ? '' : ' aria-describedby="step-error"';
  return `<ol>
<li>Open an authenticator app (on a phone, or a password manager) and add an account by scanning this code:
${p.qrSvg}
Or type this key: <span class="secret-text" id="totp-secret">${esc(p.secret.replace(/(.{4})/g, '$1 ').trim())}</span></li>
<li>Type the six-digit code the app shows now, to confirm it is set up.</li>
</ol>
${errorOf(p.error)}<form method="post" action="${esc(p.action)}">
${hidden(p.csrf, p.step ?? 'setup')}
<label for="setup-code">Code from the app</label>
<input id="setup-code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" maxlength="7" required autofocus${described}>
<button type="submit">Confirm</button>
</form>`;
}

/** Setting up an authenticator app as a step of a sign-in that requires a second factor. */
export function renderTotpSetupPage(
  p: StepPage & { readonly qrSvg: string; readonly secret: string },
): string {
  return renderPage(
    'Set up a second factor',
    `<h1>Set up a second factor</h1>
<p>Your account needs a second step at sign-in: a code from an authenticator app.</p>
${totpSetupBody(p)}
${cancelForm(p)}`,
  );
}

/** Recovery codes as the one page that shows them: each works once, none is shown again. */
export function recoveryCodesBody(codes: readonly string[]): string {
  return `<div class="notice" role="status"><p><strong>Your recovery codes: shown this once.</strong> Keep them somewhere safe (printed, or in a password manager). Each one signs you in once when you cannot use your authenticator.</p>
<ol class="codes" id="recovery-codes">${codes.map((c) => `<li>${esc(c)}</li>`).join('')}</ol></div>`;
}

/** The recovery codes of a just-finished set-up, with the button that finishes the sign-in. */
export function renderRecoveryCodesPage(p: StepPage & { readonly codes: readonly string[] | null }): string {
  return renderPage(
    'Second factor set up',
    `<h1>Second factor set up</h1>
${p.codes === null ? '<p>Your authenticator app is set up. You have recovery codes from before.</p>' : recoveryCodesBody(p.codes)}
<form method="post" action="${esc(p.action)}">
${hidden(p.csrf, 'continue')}
<button type="submit" autofocus>Continue</button>
</form>`,
  );
}

/**
 * A passkey ceremony: the form carries the options (JSON, HTML-escaped in an attribute) and gets
 * the browser's answer in `response` from /assets/passkey.js, then posts it. Without script (or
 * WebAuthn) the page says so and offers the way back.
 */
export function renderPasskeyPage(
  p: StepPage & {
    readonly title: string;
    readonly intro: string;
    readonly ceremony: 'authenticate' | 'register';
    readonly options: unknown;
    readonly step: string;
    readonly back: { readonly href: string; readonly label: string };
    readonly extraFields?: string;
  },
): string {
  return renderPage(
    p.title,
    `<h1>${esc(p.title)}</h1>
<p>${esc(p.intro)}</p>
${errorOf(p.error)}<p class="error" role="alert" id="passkey-error" hidden></p>
<form id="passkey-form" method="post" action="${esc(p.action)}" data-ceremony="${p.ceremony}" data-options="${esc(JSON.stringify(p.options))}">
${hidden(p.csrf, p.step)}
<input type="hidden" name="response" value="">
${p.extraFields ?? ''}<button type="button" id="passkey-start" disabled>${p.ceremony === 'register' ? 'Create passkey' : 'Use passkey'}</button>
</form>
<noscript><p class="error">Passkeys need JavaScript in this browser.</p></noscript>
<p><a href="${esc(p.back.href)}">${esc(p.back.label)}</a></p>
${passkeyScripts()}`,
  );
}
