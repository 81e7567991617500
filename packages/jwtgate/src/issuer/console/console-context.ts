import type { Logger } from 'pino';
import { readOwn } from '../../lib/own-record.ts';
import type { Store, UserRecord } from '../../store/types.ts';
import type { IssuerOptions } from '../issuer-options.ts';
import type { SignInFlow } from '../login/sign-in-flow.ts';
import type { MfaPolicy } from '../mfa/mfa-policy.ts';
import type { PageContent } from './console-page.ts';

/** What the console needs from the issuer. */
export interface ConsoleDeps {
  readonly store: Store;
  readonly issuerUrl: string;
  /** Users' lock-out and per-address throttle: the same as the OAuth login page's. */
  readonly login: IssuerOptions['login'];
  readonly prePublishSeconds: number;
  /** A jti revoked without its exp stays on the list this long. */
  readonly maxTokenLifetimeSeconds: number;
  readonly kek: Buffer | null;
  readonly now: () => number;
  readonly log: Logger;
  /** The keys the issuer publishes now (for the token debugger). */
  readonly publicJwks: () => { readonly keys: readonly Record<string, unknown>[] };
  /** After a key change: re-read the keys now rather than at the next poll. */
  readonly onKeysChanged: () => void;
  /** After a revocation: push it to the feed (and Redis) now. */
  readonly onRevoked: () => void;
  /** The sign-in steps the console's login runs (administrators only). */
  readonly signIn: SignInFlow;
  /** Who must use a second factor (to show why a user must). */
  readonly mfa: MfaPolicy;
}

/** One authenticated console request, its CSRF token already checked when it is a POST. */
export interface ConsoleRequest {
  readonly deps: ConsoleDeps;
  readonly method: 'GET' | 'POST';
  readonly url: URL;
  /** The posted form; empty for a GET. */
  readonly form: URLSearchParams;
  readonly user: UserRecord;
  /** The audit actor of the console's changes: `console:<username>`. */
  readonly actor: string;
  /** The session's CSRF token, for the forms of the page. */
  readonly csrf: string;
}

export type ConsoleAnswer =
  | { readonly kind: 'page'; readonly status?: number; readonly page: PageContent }
  | { readonly kind: 'redirect'; readonly location: string }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'method'; readonly allow: string };

/** A section of the console: answers the path parts after its own name. */
export type ConsoleSection = (request: ConsoleRequest, parts: readonly string[]) => Promise<ConsoleAnswer>;

export const page = (content: PageContent, status = 200): ConsoleAnswer => ({
  kind: 'page',
  status,
  page: content,
});
export const redirect = (location: string): ConsoleAnswer => ({ kind: 'redirect', location });
export const NOT_FOUND: ConsoleAnswer = { kind: 'not-found' };
export const methodNotAllowed = (allow: string): ConsoleAnswer => ({ kind: 'method', allow });

/** Fixed notices after a POST-redirect-GET: the query names one, the text never comes from the URL. */
export const NOTICES: Readonly<Record<string, string>> = {
  'client-updated': 'The client was updated.',
  'client-deleted': 'The client was deleted.',
  'user-updated': 'The user was updated.',
  'user-deleted': 'The user was deleted.',
  'user-disabled': 'The user was disabled.',
  'user-enabled': 'The user was enabled.',
  'key-rotated':
    'A new signing key was created; it is published now and signs after the pre-publication time.',
  revoked: 'The token id was added to the revocation list.',
};

export function noticeOf(url: URL): { notice?: string } {
  const text = readOwn(NOTICES, url.searchParams.get('done') ?? '');
  return text === undefined ? {} : { notice: text };
}
