import { createHash } from 'node:crypto';
import type { Store } from '../../store/types.ts';
import type { SignInMethod } from './describe-sign-in.ts';

// Where a sign-in of several steps is between requests: the user the earlier steps identified,
// what they proved, the step now expected and a pending WebAuthn challenge. Kept in the store's
// oidc payload table (every replica sees it), under a hash of the flow's key: an OAuth
// interaction's uid, or the console's and account page's login cookie.

const MODEL = 'SignInFlow';
/** A sign-in left half-way ends after this (an OAuth login request lives 15 minutes). */
const TTL_SECONDS = 10 * 60;

export type SignInStep = 'password' | 'second-factor' | 'setup' | 'recovery-codes';

export interface SignInState {
  /** The user the steps so far identified; null before any. */
  readonly userId: string | null;
  readonly methods: readonly SignInMethod[];
  readonly step: SignInStep;
  /** The challenge of the passkey ceremony the page started; single use. */
  readonly challenge: string | null;
}

export const FRESH_STATE: SignInState = Object.freeze({
  userId: null,
  methods: Object.freeze([]),
  step: 'password',
  challenge: null,
});

const METHODS: readonly string[] = ['pwd', 'otp', 'passkey'];
const STEPS: readonly string[] = ['password', 'second-factor', 'setup', 'recovery-codes'];
const idOf = (key: string) => createHash('sha256').update(`sign-in\n${key}`).digest('base64url');

export interface SignInStates {
  get(key: string): Promise<SignInState>;
  save(key: string, state: SignInState): Promise<void>;
  clear(key: string): Promise<void>;
}

export function createSignInStates(store: Store): SignInStates {
  return {
    async get(key) {
      const found = await store.oidc.find(MODEL, idOf(key));
      if (found === undefined) return FRESH_STATE;
      const { userId, methods, step, challenge } = found;
      // Anything else in the store (a write from another version) starts the sign-in over.
      if (
        (userId !== null && typeof userId !== 'string') ||
        !Array.isArray(methods) ||
        !methods.every((m) => METHODS.includes(m)) ||
        typeof step !== 'string' ||
        !STEPS.includes(step) ||
        (challenge !== null && typeof challenge !== 'string')
      )
        return FRESH_STATE;
      return { userId, methods: methods as SignInMethod[], step: step as SignInStep, challenge };
    },
    async save(key, state) {
      await store.oidc.upsert(MODEL, idOf(key), { ...state, methods: [...state.methods] }, TTL_SECONDS);
    },
    async clear(key) {
      await store.oidc.destroy(MODEL, idOf(key));
    },
  };
}
