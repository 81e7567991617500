import { createHash } from 'node:crypto';
import { escapeHtml } from '../login/login-page.ts';

/** The console's one stylesheet, served from /console/assets/console.css (the CSP has no inline style). */
export const CONSOLE_CSS = `:root{color-scheme:light dark;font-family:system-ui,sans-serif;line-height:1.5;--accent:#1a4f9c;--bad:#b00020;--ok:#1b7a36;--muted:#767676}
body{margin:0}
header{display:flex;flex-wrap:wrap;align-items:center;gap:1rem;padding:.5rem 1.5rem;border-bottom:1px solid var(--muted)}
header .brand{font-weight:700;margin-right:1rem}
nav ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;margin:0;padding:0}
nav a{color:inherit;text-decoration:none;padding:.25rem .125rem;border-bottom:3px solid transparent}
nav a[aria-current=page]{border-bottom-color:var(--accent);font-weight:600}
header form{margin-left:auto;display:flex;align-items:center;gap:.75rem}
main{padding:1rem 1.5rem 3rem;max-width:72rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}h2{font-size:1.2rem;margin:2rem 0 .5rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid rgba(118,118,118,.4);vertical-align:top}
th{font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td code{overflow-wrap:anywhere}
code,pre,textarea{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9rem}
pre{padding:.75rem;border:1px solid rgba(118,118,118,.4);border-radius:4px;overflow:auto;white-space:pre-wrap;word-break:break-all}
label{display:block;font-weight:600;margin-top:1rem}
.hint{font-weight:400;color:var(--muted);font-size:.9rem;margin:.1rem 0}
input[type=text],input[type=password],input[type=url],select,textarea{box-sizing:border-box;width:100%;max-width:40rem;font:inherit;padding:.4rem;margin-top:.25rem;border:1px solid var(--muted);border-radius:4px}
textarea{min-height:5rem}
fieldset{border:1px solid rgba(118,118,118,.4);border-radius:4px;margin-top:1rem;max-width:40rem}
fieldset label{display:inline;font-weight:400;margin:0 1rem 0 .25rem}
button,.button{display:inline-block;font:inherit;padding:.4rem 1rem;margin:.75rem .5rem 0 0;border-radius:4px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer;text-decoration:none}
button.secondary,.button.secondary{background:transparent;color:inherit;border-color:var(--muted)}
button.danger{background:var(--bad);border-color:var(--bad)}
header button{margin:0}
form.inline{display:inline}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible,summary:focus-visible{outline:3px solid #e07a00;outline-offset:2px}
.notice{border-left:4px solid var(--ok);padding:.5rem .75rem;margin:1rem 0;background:rgba(27,122,54,.08)}
.error{border-left:4px solid var(--bad);padding:.5rem .75rem;margin:1rem 0;background:rgba(176,0,32,.08)}
.secret{border:2px solid #e07a00;padding:.75rem;margin:1rem 0;border-radius:4px}
.secret code{font-size:1rem;word-break:break-all}
.passed{color:var(--ok);font-weight:600}.failed{color:var(--bad);font-weight:600}.skipped{color:var(--muted)}
.chart{max-width:100%;height:auto;border:1px solid rgba(118,118,118,.4);border-radius:4px}
.chart .axis{stroke:var(--muted);stroke-width:1}
.chart text{fill:currentColor;font-size:11px}
.chart .tokens{fill:var(--accent)}.chart .failures{fill:var(--bad)}
.legend span{display:inline-block;width:.8rem;height:.8rem;margin:0 .3rem 0 1rem;vertical-align:middle}
.legend .tokens{background:var(--accent)}.legend .failures{background:var(--bad)}
.qr{display:block;width:14.5rem;height:14.5rem;margin:1rem 0}
.secret-text,.codes{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;letter-spacing:.05em;overflow-wrap:anywhere}
.codes{columns:2;padding-left:1.25rem}
h3{font-size:1.05rem;margin:1.25rem 0 .25rem}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`;

/** Short content hash: the stylesheet URL changes when the CSS does, so it can be cached for a year. */
export const CSS_VERSION = createHash('sha256').update(CONSOLE_CSS).digest('base64url').slice(0, 12);
export const CSS_PATH = '/console/assets/console.css';

/** No script at all, the stylesheet from this origin, forms only to this origin, never framed. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** The headers of every console page: never cached (they show secrets and the audit log). */
export function consoleHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    pragma: 'no-cache',
    'content-security-policy': CONSOLE_CSP,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    ...extra,
  };
}

export const esc = escapeHtml;

/** The console's sections, in the navigation's order. */
export const SECTIONS = [
  { id: 'activity', title: 'Activity', href: '/console' },
  { id: 'clients', title: 'Clients', href: '/console/clients' },
  { id: 'users', title: 'Users', href: '/console/users' },
  { id: 'keys', title: 'Signing keys', href: '/console/keys' },
  { id: 'revocations', title: 'Revoked tokens', href: '/console/revocations' },
  { id: 'debugger', title: 'Token debugger', href: '/console/debugger' },
] as const;

export type SectionId = (typeof SECTIONS)[number]['id'];

export interface ConsoleFrame {
  readonly username: string;
  /** The session's CSRF token, for the logout form. */
  readonly csrf: string;
}

export interface PageContent {
  readonly title: string;
  readonly section: SectionId | null;
  readonly body: string;
  readonly notice?: string;
  readonly error?: string;
}

/** A complete console page: skip link, navigation with aria-current, the signed-in user, logout. */
export function renderConsolePage(frame: ConsoleFrame, page: PageContent): string {
  const nav = SECTIONS.map(
    (s) =>
      `<li><a href="${s.href}"${s.id === page.section ? ' aria-current="page"' : ''}>${esc(s.title)}</a></li>`,
  ).join('');
  const notice = page.notice ? `<p class="notice" role="status">${esc(page.notice)}</p>\n` : '';
  const error = page.error ? `<p class="error" role="alert">${esc(page.error)}</p>\n` : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(page.title)} · jwtgate console</title>
<link rel="stylesheet" href="${CSS_PATH}?v=${CSS_VERSION}">
</head>
<body>
<a class="sr-only" href="#content">Skip to content</a>
<header>
<span class="brand">jwtgate console</span>
<nav aria-label="Console sections"><ul>${nav}</ul></nav>
<form method="post" action="/console/logout">
<span>Signed in as <strong>${esc(frame.username)}</strong></span>
<input type="hidden" name="csrf" value="${esc(frame.csrf)}">
<button type="submit" class="secondary">Sign out</button>
</form>
</header>
<main id="content">
<h1>${esc(page.title)}</h1>
${notice}${error}${page.body}
</main>
</body>
</html>
`;
}

/** A table with a caption and column headers (th scope=col); cells are HTML already escaped. */
export function renderTable(caption: string, columns: readonly string[], rows: readonly string[][]): string {
  const head = columns.map((c) => `<th scope="col">${esc(c)}</th>`).join('');
  const body =
    rows.length === 0
      ? `<tr><td colspan="${columns.length}">None.</td></tr>`
      : rows.map((r) => `<tr>${r.map((cell) => `<td>${cell}</td>`).join('')}</tr>`).join('\n');
  return `<table>\n<caption class="sr-only">${esc(caption)}</caption>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/** A POST form with the CSRF token; `fields` is HTML. */
export function renderPostForm(action: string, csrf: string, fields: string, attrs = ''): string {
  return `<form method="post" action="${esc(action)}"${attrs}>\n<input type="hidden" name="csrf" value="${esc(csrf)}">\n${fields}\n</form>`;
}

/** A labelled text input with an optional hint (aria-describedby). */
export function textField(
  name: string,
  label: string,
  options: { value?: string; hint?: string; required?: boolean; type?: string; autocomplete?: string } = {},
): string {
  const hint = options.hint ? `<p class="hint" id="${name}-hint">${esc(options.hint)}</p>` : '';
  return `<label for="${name}">${esc(label)}</label>${hint}<input id="${name}" name="${name}" type="${options.type ?? 'text'}" value="${esc(options.value ?? '')}"${options.required ? ' required' : ''}${options.hint ? ` aria-describedby="${name}-hint"` : ''} autocomplete="${options.autocomplete ?? 'off'}" spellcheck="false">`;
}

/** A labelled textarea with an optional hint. */
export function textArea(
  name: string,
  label: string,
  options: { value?: string; hint?: string; required?: boolean; rows?: number } = {},
): string {
  const hint = options.hint ? `<p class="hint" id="${name}-hint">${esc(options.hint)}</p>` : '';
  return `<label for="${name}">${esc(label)}</label>${hint}<textarea id="${name}" name="${name}" rows="${options.rows ?? 4}"${options.required ? ' required' : ''}${options.hint ? ` aria-describedby="${name}-hint"` : ''} autocomplete="off" spellcheck="false">${esc(options.value ?? '')}</textarea>`;
}

/** Words of a text field: split on white space and commas, empty ones dropped. */
export function splitList(text: string | null): string[] {
  return (text ?? '').split(/[\s,]+/).filter(Boolean);
}

/** Lines of a textarea, trimmed, empty ones dropped. */
export function splitLines(text: string | null): string[] {
  return (text ?? '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
}
