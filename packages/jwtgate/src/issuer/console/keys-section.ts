import { listKeys, startRotation } from '../admin/manage-keys.ts';
import { IssuerError } from '../errors.ts';
import {
  type ConsoleSection,
  methodNotAllowed,
  NOT_FOUND,
  noticeOf,
  page,
  redirect,
} from './console-context.ts';
import { esc, renderPostForm, renderTable } from './console-page.ts';
import { relativeToNow } from './describe-time.ts';

const STATE_TEXT = {
  current: 'current: signs new tokens',
  next: 'next: published, signs from its activation',
  retiring: 'retiring: published until the tokens it signed expire',
  retired: 'retired',
} as const;

/** `2026-11-29T08:00:00.000Z (in 58 min)`. */
function when(iso: string | null, nowMs: number): string {
  if (iso === null) return '-';
  return `<time datetime="${esc(iso)}">${esc(iso)}</time> (${esc(relativeToNow(Date.parse(iso), nowMs))})`;
}

/** /console/keys: the published keys with their dates, and "rotate now" (startRotation, as `jwtgate keys rotate`). */
export const keysSection: ConsoleSection = async (r, parts) => {
  const [action, ...rest] = parts;
  if (rest.length > 0) return NOT_FOUND;
  const { store, now } = r.deps;
  if (action === 'rotate') {
    if (r.method !== 'POST') return methodNotAllowed('POST');
    try {
      await startRotation(store, {
        prePublishSeconds: r.deps.prePublishSeconds,
        kek: r.deps.kek,
        actor: r.actor,
        now: now(),
      });
    } catch (err) {
      if (!(err instanceof IssuerError)) throw err;
      return page(
        {
          title: 'Signing keys',
          section: 'keys',
          error: err.message,
          body: '<p><a href="/console/keys">Back</a></p>',
        },
        err.status,
      );
    }
    r.deps.onKeysChanged();
    return redirect('/console/keys?done=key-rotated');
  }
  if (action !== undefined) return NOT_FOUND;
  if (r.method !== 'GET') return methodNotAllowed('GET');
  const at = now();
  const keys = (await listKeys(store)).filter((k) => k.state !== 'retired');
  const rows = keys.map((k) => [
    `<code>${esc(k.kid)}</code>`,
    esc(k.alg),
    esc(STATE_TEXT[k.state]),
    when(k.created_at, at),
    when(k.activates_at, at),
    when(k.remove_at, at),
    k.encrypted ? 'yes' : 'no',
  ]);
  const pending = keys.some((k) => k.state === 'next');
  return page({
    title: 'Signing keys',
    section: 'keys',
    ...noticeOf(r.url),
    body: `${renderTable('Published signing keys', ['Key id', 'Algorithm', 'State', 'Created', 'Activates', 'Leaves the JWKS', 'Encrypted at rest'], rows)}
<h2>Rotate</h2>
<p>A new key is published now and starts signing after the pre-publication time (${r.deps.prePublishSeconds} s), so that every gateway has it first.${pending ? ' A next key is already waiting: rotating again replaces the plan with a newer key.' : ''}</p>
${renderPostForm('/console/keys/rotate', r.csrf, '<button type="submit">Rotate now</button>')}`,
  });
};
