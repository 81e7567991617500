import { type ConsoleSection, methodNotAllowed, NOT_FOUND, page } from './console-context.ts';
import { esc, renderPostForm, renderTable, textArea, textField } from './console-page.ts';
import { explainToken, type TokenExplanation } from './explain-token.ts';

function form(csrf: string, audience: string): string {
  return renderPostForm(
    '/console/debugger',
    csrf,
    [
      textArea('token', 'Access token', {
        required: true,
        rows: 6,
        hint: 'Posted to this issuer only; never logged, stored or put in a URL.',
      }),
      textField('audience', 'Expected audience (optional)', {
        value: audience,
        hint: "The API the token is meant for. Empty: any audience of this issuer's clients.",
      }),
      '<button type="submit">Explain</button>',
    ].join('\n'),
  );
}

const STATUS_TEXT = { passed: 'passed', failed: 'failed', 'not reached': 'not reached' } as const;
const STATUS_CLASS = { passed: 'passed', failed: 'failed', 'not reached': 'skipped' } as const;

function renderExplanation(x: TokenExplanation): string {
  const verdict = x.valid
    ? '<p class="notice" role="status" id="verdict"><strong>Valid:</strong> this issuer\'s verifier accepts the token.</p>'
    : `<p class="error" role="alert" id="verdict"><strong>Invalid:</strong> <code>${esc(x.code ?? '')}</code>${x.malformed ? ` (not a JWT: ${esc(x.malformed)})` : ''}.</p>`;
  const steps = renderTable(
    'Checks of the verifier, in the order it runs them',
    ['Check', 'Result', 'Detail'],
    x.steps.map((s) => [
      esc(s.title),
      `<span class="${STATUS_CLASS[s.status]}" data-step="${esc(s.step)}">${STATUS_TEXT[s.status]}</span>`,
      s.status === 'failed'
        ? `<code>${esc(s.code ?? '')}</code> ${esc(s.explanation ?? '')}${s.detail ? ` (${esc(s.detail)})` : ''}`
        : esc(s.detail ?? ''),
    ]),
  );
  const times =
    x.times.length === 0
      ? ''
      : `<h2>Times</h2>\n${renderTable(
          'Time claims',
          ['Claim', 'UTC', 'Relative to now'],
          x.times.map((t) => [
            `<code>${t.claim}</code>`,
            `<time datetime="${t.iso}">${t.iso}</time>`,
            esc(t.relative),
          ]),
        )}`;
  const json = (v: unknown) => `<pre>${esc(JSON.stringify(v, null, 2))}</pre>`;
  const decoded =
    x.header === null
      ? ''
      : `<h2>Header</h2>\n${json(x.header)}\n<h2>Claims</h2>\n${json(x.claims)}\n<p class="hint">Decoded for reading; trust only what the checks above passed.</p>`;
  return `<section aria-labelledby="result-heading">
<h2 id="result-heading">Result</h2>
${verdict}
<p>Audiences accepted: ${x.audiences.map((a) => `<code>${esc(a)}</code>`).join(', ') || 'none'}</p>
${steps}
${times}
${decoded}
</section>`;
}

/** /console/debugger: decode a pasted token and explain the issuer's own verifier's verdict. */
export const debuggerSection: ConsoleSection = async (r, parts) => {
  if (parts.length > 0) return NOT_FOUND;
  if (r.method === 'GET')
    return page({ title: 'Token debugger', section: 'debugger', body: form(r.csrf, '') });
  if (r.method !== 'POST') return methodNotAllowed('GET, POST');
  const token = (r.form.get('token') ?? '').trim();
  const audience = (r.form.get('audience') ?? '').trim();
  if (token === '')
    return page(
      {
        title: 'Token debugger',
        section: 'debugger',
        error: 'Paste a token to explain.',
        body: form(r.csrf, audience),
      },
      400,
    );
  const { store, issuerUrl, now } = r.deps;
  const known = [...new Set((await store.clients.list()).flatMap((c) => c.audiences))];
  const x = await explainToken(token, audience, known, {
    issuerUrl,
    publicJwks: r.deps.publicJwks(),
    isRevoked: (jti) => store.revocations.isRevoked(jti),
    now,
  });
  return page({
    title: 'Token debugger',
    section: 'debugger',
    body: `${renderExplanation(x)}\n<h2>Explain another token</h2>\n${form(r.csrf, audience)}`,
  });
};
