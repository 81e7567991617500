import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';

// The only script the issuer's pages load, and only on the pages that start a WebAuthn ceremony:
// @simplewebauthn/browser's bundle (the browser half of the library the server verifies with:
// it turns the options into navigator.credentials calls and the result into JSON), and a few
// lines of the issuer's own that run it from a button and post the result in the page's form.
// Both are files of this origin (CSP script-src 'self'); nothing is inline.

/** The passkey pages' script: reads the ceremony's options from the form, posts the answer with it. */
const PASSKEY_SCRIPT = `'use strict';
(() => {
  const form = document.getElementById('passkey-form');
  const button = document.getElementById('passkey-start');
  const error = document.getElementById('passkey-error');
  const lib = window.SimpleWebAuthnBrowser;
  if (!form || !button || !error) return;
  const show = (text) => {
    error.textContent = text;
    error.hidden = false;
  };
  if (!lib || !lib.browserSupportsWebAuthn()) {
    show('This browser cannot use passkeys.');
    return;
  }
  button.disabled = false;
  button.addEventListener('click', async () => {
    button.disabled = true;
    error.hidden = true;
    try {
      const optionsJSON = JSON.parse(form.dataset.options);
      const result =
        form.dataset.ceremony === 'register'
          ? await lib.startRegistration({ optionsJSON })
          : await lib.startAuthentication({ optionsJSON });
      form.elements.namedItem('response').value = JSON.stringify(result);
      form.submit();
    } catch (e) {
      show(
        e && e.name === 'NotAllowedError'
          ? 'The passkey request was cancelled or timed out. Try again.'
          : 'The passkey could not be used here.',
      );
      button.disabled = false;
    }
  });
})();
`;

function bundledBrowserLibrary(): string {
  // The package's exports name its module entry only; the browser bundle sits beside it.
  const entry = import.meta.resolve('@simplewebauthn/browser');
  return readFileSync(fileURLToPath(new URL('../dist/bundle/index.umd.min.js', entry)), 'utf8');
}

interface Asset {
  readonly body: string;
  readonly version: string;
}

const version = (body: string) => createHash('sha256').update(body).digest('base64url').slice(0, 12);
let loaded: Readonly<Record<string, Asset>> | null = null;

function assets(): Readonly<Record<string, Asset>> {
  if (loaded === null) {
    const library = bundledBrowserLibrary();
    loaded = {
      [ASSET_PATHS.webauthn]: { body: library, version: version(library) },
      [ASSET_PATHS.passkey]: { body: PASSKEY_SCRIPT, version: version(PASSKEY_SCRIPT) },
    };
  }
  return loaded;
}

export const ASSET_PATHS = {
  webauthn: '/assets/simplewebauthn-browser.js',
  passkey: '/assets/passkey.js',
} as const;

/** The `<script>` elements of a passkey page, each URL with its content hash (so cached for a year). */
export function passkeyScripts(): string {
  const all = assets();
  return [ASSET_PATHS.webauthn, ASSET_PATHS.passkey]
    .map((path) => `<script src="${path}?v=${all[path]?.version}"></script>`)
    .join('\n');
}

/** Whether `path` is one of the scripts (answered by serveAsset). */
export function isAssetPath(path: string): boolean {
  return path === ASSET_PATHS.webauthn || path === ASSET_PATHS.passkey;
}

/** Answers GET/HEAD of a script: nosniff, an ETag, cached for a year under its versioned URL. */
export function serveAsset(req: IncomingMessage, res: ServerResponse, path: string, url: URL): void {
  const asset = assets()[path];
  if (asset === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(asset === undefined ? 404 : 405, { allow: 'GET, HEAD', 'cache-control': 'no-store' }).end();
    return;
  }
  const etag = `"${asset.version}"`;
  const headers = {
    'content-type': 'text/javascript; charset=utf-8',
    'x-content-type-options': 'nosniff',
    'cross-origin-resource-policy': 'same-origin',
    etag,
    'cache-control':
      url.searchParams.get('v') === asset.version
        ? 'public, max-age=31536000, immutable'
        : 'public, max-age=300',
  };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers).end();
    return;
  }
  res.writeHead(200, headers).end(req.method === 'HEAD' ? undefined : asset.body);
}
