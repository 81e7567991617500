import type { RevocationRecord, Store } from '../../store/types.ts';
import { revokeJti } from '../revocation/revoke-jti.ts';
import {
  type ConsoleSection,
  methodNotAllowed,
  NOT_FOUND,
  noticeOf,
  page,
  redirect,
} from './console-context.ts';
import { esc, renderPostForm, renderTable, textField } from './console-page.ts';
import { relativeToNow } from './describe-time.ts';

const SHOWN = 100;
const PAGE = 1000;
/** The list holds only unexpired entries (pruned); this bounds the walk on a very long one. */
const MAX_PAGES = 50;

/** The newest `n` entries: the store lists oldest first from a cursor, so walk it and keep the tail. */
async function newestRevocations(
  store: Store,
  n: number,
): Promise<{ entries: RevocationRecord[]; more: boolean }> {
  let tail: RevocationRecord[] = [];
  let cursor = 0;
  let more = false;
  for (let i = 0; i < MAX_PAGES; i++) {
    const batch = await store.revocations.since(cursor, PAGE);
    tail = [...tail, ...batch].slice(-n);
    if (batch.length < PAGE) break;
    cursor = (batch.at(-1) as RevocationRecord).seq;
    more = i === MAX_PAGES - 1;
  }
  return { entries: tail.reverse(), more };
}

const JTI = /^[\x21-\x7e]{1,256}$/;

/** /console/revocations: the newest entries of the revocation list, and a form to revoke a jti. */
export const revocationsSection: ConsoleSection = async (r, parts) => {
  if (parts.length > 0) return NOT_FOUND;
  const { store, now } = r.deps;
  if (r.method === 'POST') {
    const jti = (r.form.get('jti') ?? '').trim();
    if (!JTI.test(jti))
      return page(
        {
          title: 'Revoked tokens',
          section: 'revocations',
          error: 'jti: 1-256 visible characters, no spaces.',
          body: form(r.csrf, jti),
        },
        400,
      );
    const exp = Math.ceil(now() / 1000) + r.deps.maxTokenLifetimeSeconds;
    await revokeJti(store, { jti, exp, actor: r.actor });
    r.deps.onRevoked();
    return redirect('/console/revocations?done=revoked');
  }
  if (r.method !== 'GET') return methodNotAllowed('GET, POST');
  const at = now();
  const { entries, more } = await newestRevocations(store, SHOWN);
  const rows = entries.map((e) => [
    String(e.seq),
    `<code>${esc(e.jti)}</code>`,
    `<time datetime="${new Date(e.revokedAt).toISOString()}">${esc(relativeToNow(e.revokedAt, at))}</time>`,
    `<time datetime="${new Date(e.exp * 1000).toISOString()}">${esc(new Date(e.exp * 1000).toISOString())}</time> (${esc(relativeToNow(e.exp * 1000, at))})`,
  ]);
  return page({
    title: 'Revoked tokens',
    section: 'revocations',
    ...noticeOf(r.url),
    body: `<p>The newest ${SHOWN} entries of the revocation list that gateways follow (GET /revocations). An entry leaves the list when the token would have expired anyway.${more ? ' The list is longer than the console reads.' : ''}</p>
${renderTable('Revocation list, newest first', ['Seq', 'jti', 'Revoked', 'Kept until (exp)'], rows)}
<h2>Revoke a token</h2>
${form(r.csrf, '')}`,
  });
};

function form(csrf: string, jti: string): string {
  return renderPostForm(
    '/console/revocations',
    csrf,
    `${textField('jti', 'Token id (jti)', { value: jti, required: true, hint: 'Kept on the list for the longest token lifetime; gateways refuse the token at once.' })}\n<button type="submit">Revoke</button>`,
  );
}
