// How a user signed in, as tokens say it: `amr` (RFC 8176 method values, OpenID Connect Core 2)
// and `acr` (the assurance the methods together give). A passkey is verified with user
// verification required, so the authenticator proved possession and checked a PIN or biometric:
// two factors on its own (NIST SP 800-63B 5.1.9, multi-factor cryptographic authenticator), and
// phishing-resistant (its signature is bound to this origin).

/** What a step of a sign-in proved: a password, a one-time code (TOTP or recovery), a passkey. */
export type SignInMethod = 'pwd' | 'otp' | 'passkey';

/** The `acr` values this issuer gives, weakest first. */
export const ACR_VALUES = {
  /** A password alone. */
  password: 'urn:jwtgate:acr:pwd',
  /** Two factors, not phishing-resistant (a password and a one-time code). */
  mfa: 'urn:jwtgate:acr:mfa',
  /** A passkey was used: phishing-resistant (OpenID Connect EAP ACR Values 1.0 `phr`). */
  phishingResistant: 'phr',
} as const;

export interface SignInDescription {
  readonly amr: readonly string[];
  readonly acr: string;
}

/**
 * `amr` and `acr` of a sign-in made of `methods`: `pwd`, `otp`, `hwk` + `user` for a passkey (a
 * key in an authenticator, and its user verification), and `mfa` once two factors were shown.
 *
 * @example
 * describeSignIn(['pwd', 'otp']); // { amr: ['pwd', 'otp', 'mfa'], acr: 'urn:jwtgate:acr:mfa' }
 * describeSignIn(['passkey']);    // { amr: ['hwk', 'user', 'mfa'], acr: 'phr' }
 */
export function describeSignIn(methods: readonly SignInMethod[]): SignInDescription {
  const amr: string[] = [];
  let factors = 0;
  for (const method of new Set(methods)) {
    if (method === 'passkey') {
      amr.push('hwk', 'user');
      factors += 2;
    } else {
      amr.push(method);
      factors += 1;
    }
  }
  if (factors >= 2) amr.push('mfa');
  const acr = methods.includes('passkey')
    ? ACR_VALUES.phishingResistant
    : factors >= 2
      ? ACR_VALUES.mfa
      : ACR_VALUES.password;
  return { amr, acr };
}
