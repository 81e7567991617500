// The whole OAuth client, in the browser: authorization code + PKCE (S256) at the jwtgate
// issuer as a public client (no secret), then the API called through the gateway, cross-origin,
// with the access token (the gateway answers the CORS preflight). Tokens stay in memory and
// sessionStorage only for the redirect round trip.
/* global CONFIG */
const { issuer, clientId, api, resource } = window.CONFIG;
const redirectUri = `${location.origin}/callback`;
const b64url = (bytes) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
const $ = (id) => document.getElementById(id);
const show = (status, detail) => {
  $('status').textContent = status;
  if (detail !== undefined)
    $('out').textContent = typeof detail === 'string' ? detail : JSON.stringify(detail, null, 2);
};

async function tokenRequest(params) {
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    body: new URLSearchParams({ client_id: clientId, ...params }),
  });
  return { status: res.status, body: await res.json() };
}

const spa = {
  tokens: null,
  async signIn() {
    const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
    const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
    const state = b64url(crypto.getRandomValues(new Uint8Array(16)));
    sessionStorage.setItem('pkce', JSON.stringify({ verifier, state }));
    location.assign(
      `${issuer}/authorize?${new URLSearchParams({
        client_id: clientId,
        response_type: 'code',
        redirect_uri: redirectUri,
        scope: 'openid offline_access',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        state,
        resource,
      })}`,
    );
  },
  async callback() {
    const q = new URLSearchParams(location.search);
    const { verifier, state } = JSON.parse(sessionStorage.getItem('pkce') || '{}');
    sessionStorage.removeItem('pkce');
    history.replaceState(null, '', '/');
    if (!verifier || q.get('state') !== state) return show('state mismatch');
    const r = await tokenRequest({
      grant_type: 'authorization_code',
      code: q.get('code'),
      redirect_uri: redirectUri,
      code_verifier: verifier,
    });
    if (r.status !== 200) return show('sign-in failed', r.body);
    spa.tokens = r.body;
    sessionStorage.setItem('tokens', JSON.stringify(r.body));
    show('signed in');
  },
  async call() {
    const res = await fetch(`${api}/api/hello`, {
      headers: { authorization: `Bearer ${spa.tokens?.access_token ?? ''}` },
    });
    const body = await res.json();
    show(res.ok ? 'called' : `refused ${res.status}`, body);
    return { status: res.status, body };
  },
  async refresh() {
    const r = await tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: spa.tokens?.refresh_token ?? '',
    });
    if (r.status === 200) {
      spa.tokens = r.body;
      sessionStorage.setItem('tokens', JSON.stringify(r.body));
    }
    show(r.status === 200 ? 'refreshed' : `refresh refused: ${r.body.error}`);
    return r;
  },
};
window.spa = spa;
$('sign-in').onclick = () => spa.signIn();
$('call').onclick = () => spa.call();
$('refresh').onclick = () => spa.refresh();
spa.tokens = JSON.parse(sessionStorage.getItem('tokens') || 'null');
if (location.pathname === '/callback') spa.callback();
else show(spa.tokens ? 'signed in' : 'signed out');
