import { createHash } from 'node:crypto';

// The issuer's own pages (login, logout, messages): small server-rendered HTML, no script, no
// external resource. The one stylesheet is inline and allowed by its hash in the CSP.

const CSS = [
  ':root{color-scheme:light dark;font-family:system-ui,sans-serif;line-height:1.5}',
  'body{margin:0;display:flex;justify-content:center;padding:3rem 1rem}',
  'main{width:100%;max-width:22rem}',
  'h1{font-size:1.5rem;margin:0 0 1rem}',
  'label{display:block;font-weight:600;margin-top:1rem}',
  'input{box-sizing:border-box;width:100%;font:inherit;padding:.5rem;margin-top:.25rem;border:1px solid #767676;border-radius:4px}',
  'button{font:inherit;padding:.5rem 1rem;margin-top:1.5rem;margin-right:.5rem;border-radius:4px;border:1px solid #1a4f9c;background:#1a4f9c;color:#fff;cursor:pointer}',
  'button.secondary{background:transparent;color:inherit;border-color:#767676}',
  'input:focus-visible,button:focus-visible,a:focus-visible{outline:3px solid #e07a00;outline-offset:2px}',
  '.error{border-left:4px solid #b00020;padding:.5rem .75rem;margin:1rem 0;background:rgba(176,0,32,.08)}',
  '.user-code{font:600 1.75rem ui-monospace,monospace;letter-spacing:.1em}',
].join('');

const STYLE_HASH = `'sha256-${createHash('sha256').update(CSS).digest('base64')}'`;

/** HTML-escapes text for element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

/**
 * The headers of every page: never cached, never framed (clickjacking of the login form), and a
 * CSP that allows nothing but the inline stylesheet and forms posted to this issuer, or to the
 * origins a form's answer redirects to (browsers apply form-action to the redirects after a POST).
 */
export function pageHeaders(formTargets: readonly string[] = []): Record<string, string> {
  const origins = new Set<string>();
  for (const target of formTargets) {
    const url = URL.parse(target);
    if (url !== null && (url.protocol === 'https:' || url.protocol === 'http:')) origins.add(url.origin);
  }
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    pragma: 'no-cache',
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'content-security-policy': [
      "default-src 'none'",
      `style-src ${STYLE_HASH}`,
      `form-action 'self'${[...origins].map((o) => ` ${o}`).join('')}`,
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; '),
  };
}

/** A page of the issuer: the shared head and stylesheet around `body` (HTML, already escaped). */
export function renderPage(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

export interface LoginPageInput {
  /** Where the form posts: the interaction URL. */
  readonly action: string;
  readonly csrf: string;
  /** The application the user signs in to. */
  readonly clientName: string;
  readonly username?: string;
  readonly error?: string;
}

/** The login form: labelled fields with autocomplete hints; an error is announced (role=alert). */
export function renderLoginPage(input: LoginPageInput): string {
  const error =
    input.error === undefined
      ? ''
      : `<p class="error" role="alert" id="login-error">${escapeHtml(input.error)}</p>`;
  const described = input.error === undefined ? '' : ' aria-describedby="login-error"';
  return renderPage(
    'Sign in',
    `<h1>Sign in</h1>
<p>to continue to <strong>${escapeHtml(input.clientName)}</strong></p>
${error}<form method="post" action="${escapeHtml(input.action)}">
<input type="hidden" name="csrf" value="${escapeHtml(input.csrf)}">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="256" value="${escapeHtml(input.username ?? '')}"${described}${input.username ? '' : ' autofocus'}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="2048"${described}${input.username ? ' autofocus' : ''}>
<button type="submit" name="action" value="login">Sign in</button>
<button type="submit" name="action" value="cancel" class="secondary" formnovalidate>Cancel</button>
</form>`,
  );
}

/** A page with one message (an expired login request, too many attempts, signed out). */
export function renderMessagePage(title: string, message: string): string {
  return renderPage(title, `<h1>${escapeHtml(title)}</h1>\n<p role="status">${escapeHtml(message)}</p>`);
}

/**
 * The logout confirmation: `form` is oidc-provider's hidden form (its action and its own CSRF
 * token, `xsrf`, bound to the session); the button submits it with logout=yes (every grant of
 * this browser session ends).
 */
export function renderLogoutPage(form: string, host: string): string {
  return renderPage(
    'Sign out',
    `<h1>Sign out</h1>
<p>Do you want to sign out of ${escapeHtml(host)}? Every application you signed in to with this browser is signed out.</p>
${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Sign out</button>`,
  );
}
