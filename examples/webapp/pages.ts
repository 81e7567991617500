// The sample web app's HTML: server-rendered, no script; every value escaped.
import { createHash } from 'node:crypto';
import type { Flash } from './sessions.ts';

const CSS = [
  ':root{color-scheme:light dark;font-family:system-ui,sans-serif;line-height:1.5}',
  'body{margin:0;display:flex;justify-content:center;padding:2rem 1rem}',
  'main{width:100%;max-width:40rem}',
  'h1{font-size:1.5rem;margin:0 0 1rem}',
  'dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}',
  'dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}',
  'form{display:inline}',
  'button,a.button{display:inline-block;font:inherit;padding:.5rem 1rem;margin:.5rem .5rem 0 0;border-radius:4px;border:1px solid #1a4f9c;background:#1a4f9c;color:#fff;cursor:pointer;text-decoration:none}',
  'button.secondary{background:transparent;color:inherit;border-color:#767676}',
  'button:focus-visible,a:focus-visible{outline:3px solid #e07a00;outline-offset:2px}',
  '.notice{border-left:4px solid #1a4f9c;padding:.5rem .75rem;margin:1rem 0;background:rgba(26,79,156,.08)}',
  '.notice.error{border-color:#b00020;background:rgba(176,0,32,.08)}',
  'pre{white-space:pre-wrap;overflow-wrap:anywhere;font-size:.85rem;max-height:20rem;overflow:auto}',
].join('');

const STYLE_HASH = `'sha256-${createHash('sha256').update(CSS).digest('base64')}'`;

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

/**
 * Headers of every page: never cached (they show who is signed in), never framed, no referrer
 * (the callback URL holds the code), and forms may only post here or be redirected to the issuer
 * (browsers apply form-action to the redirect that follows a POST: the logout).
 */
export function pageHeaders(issuerOrigin: string): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'content-security-policy': [
      "default-src 'none'",
      `style-src ${STYLE_HASH}`,
      `form-action 'self' ${issuerOrigin}`,
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; '),
  };
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
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

function renderFlash(flash: Flash | undefined): string {
  if (flash === undefined) return '';
  const lines = flash.lines.map((l) => `<p>${escapeHtml(l)}</p>`).join('');
  const body = flash.body === undefined ? '' : `<pre id="result-body">${escapeHtml(flash.body)}</pre>`;
  return `<section class="notice${flash.kind === 'error' ? ' error' : ''}" role="status" id="result">
<h2>${escapeHtml(flash.title)}</h2>${lines}${body}
</section>`;
}

const button = (action: string, label: string, csrf: string, secondary = false) =>
  `<form method="post" action="${action}"><input type="hidden" name="csrf" value="${escapeHtml(csrf)}"><button type="submit"${secondary ? ' class="secondary"' : ''}>${escapeHtml(label)}</button></form>`;

export interface HomeInput {
  readonly flash?: Flash;
  readonly csrf?: string;
  readonly user?: {
    readonly sub: string;
    readonly name?: string | undefined;
    readonly email?: string | undefined;
    readonly roles: readonly string[];
    readonly tokenId: string;
    readonly expiresAt: number;
  };
}

/** The home page: a sign-in link, or who is signed in and what they can do. */
export function renderHome(input: HomeInput): string {
  const flash = renderFlash(input.flash);
  const user = input.user;
  if (user === undefined || input.csrf === undefined)
    return page(
      'Web app',
      `<h1>Web app</h1>
<p id="signed-out">You are not signed in.</p>
${flash}<a class="button" href="/login" id="sign-in">Sign in</a>`,
    );
  const csrf = input.csrf;
  const field = (name: string, value: string) => `<dt>${name}</dt><dd>${escapeHtml(value)}</dd>`;
  return page(
    'Web app',
    `<h1>Web app</h1>
<p id="signed-in">Signed in as <strong id="user-name">${escapeHtml(user.name ?? user.sub)}</strong></p>
<dl>
${field('Subject', user.sub)}
${field('Email', user.email ?? '-')}
<dt>Roles</dt><dd id="user-roles">${escapeHtml(user.roles.length > 0 ? user.roles.join(', ') : '-')}</dd>
<dt>Access token id</dt><dd id="token-id">${escapeHtml(user.tokenId)}</dd>
${field('Expires', new Date(user.expiresAt).toISOString())}
</dl>
${flash}<div>
${button('/call/billing', 'Call billing', csrf)}
${button('/call/admin', 'Call admin', csrf)}
${button('/refresh', 'Refresh tokens', csrf, true)}
${button('/logout', 'Sign out', csrf, true)}
</div>`,
  );
}

/** A page with one message (a refused request). */
export function renderMessage(title: string, message: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>\n<a href="/">Home</a>`);
}
