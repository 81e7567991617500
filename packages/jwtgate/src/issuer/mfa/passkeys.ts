import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { PasskeyRecord, UserRecord } from '../../store/types.ts';

// Passkeys (WebAuthn Level 3) through @simplewebauthn/server: the ceremonies' options and the
// verification of what the browser returns. jwtgate's policy: user verification is required
// (the authenticator checked a PIN or a biometric, so a passkey is two factors on its own),
// resident (discoverable) credentials so a passkey can sign in without a username, no
// attestation (the issuer trusts no authenticator make over another).

/** The relying party: the issuer's host as the RP ID, its origin as the only accepted origin. */
export interface RelyingParty {
  readonly id: string;
  readonly name: string;
  readonly origin: string;
}

/** How long a ceremony may take in the browser. */
const TIMEOUT_MS = 120_000;

export function relyingPartyOf(issuerUrl: string): RelyingParty {
  const url = new URL(issuerUrl);
  return { id: url.hostname, name: url.host, origin: url.origin };
}

/** The WebAuthn user handle: the user id's bytes (no personal data, WebAuthn 14.6.1). */
const userHandleOf = (userId: string) => new TextEncoder().encode(userId);

/** The options of navigator.credentials.create() for one more passkey of `user`. */
export function passkeyRegistrationOptions(
  rp: RelyingParty,
  user: UserRecord,
  existing: readonly PasskeyRecord[],
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: user.username,
    userID: userHandleOf(user.id),
    userDisplayName: user.name ?? user.username,
    timeout: TIMEOUT_MS,
    attestationType: 'none',
    // The same authenticator twice is refused by the browser itself.
    excludeCredentials: existing.map((p) => ({ id: p.id, transports: [...p.transports] })),
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
  });
}

/** A verified registration, as the passkeys table keeps it; null when it does not verify. */
export async function verifyPasskeyRegistration(
  rp: RelyingParty,
  response: RegistrationResponseJSON,
  expectedChallenge: string,
  owner: { readonly userId: string; readonly name: string },
): Promise<Omit<PasskeyRecord, 'createdAt' | 'lastUsedAt'> | null> {
  try {
    const verified = await verifyRegistrationResponse({
      response,
      expectedChallenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: true,
    });
    if (!verified.verified) return null;
    const { credential, credentialDeviceType, credentialBackedUp } = verified.registrationInfo;
    return {
      id: credential.id,
      userId: owner.userId,
      publicKey: Buffer.from(credential.publicKey).toString('base64url'),
      counter: credential.counter,
      transports: [...(credential.transports ?? [])],
      name: owner.name,
      deviceType: credentialDeviceType,
      backedUp: credentialBackedUp,
    };
  } catch {
    return null;
  }
}

/**
 * The options of navigator.credentials.get(): for a sign-in without a username, no credential is
 * named (the authenticator offers its discoverable ones); as a second factor, the user's.
 */
export function passkeyAuthenticationOptions(
  rp: RelyingParty,
  allow: readonly PasskeyRecord[] | null,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return generateAuthenticationOptions({
    rpID: rp.id,
    timeout: TIMEOUT_MS,
    userVerification: 'required',
    ...(allow === null
      ? {}
      : { allowCredentials: allow.map((p) => ({ id: p.id, transports: [...p.transports] })) }),
  });
}

/**
 * Verifies an assertion of `passkey`: the challenge, origin and RP ID, the signature by its
 * public key, user verification, and a signature counter that went up (a cloned authenticator
 * shows an old one). The new counter when it verifies; null otherwise.
 */
export async function verifyPasskeyAssertion(
  rp: RelyingParty,
  response: AuthenticationResponseJSON,
  expectedChallenge: string,
  passkey: PasskeyRecord,
): Promise<{ readonly counter: number } | null> {
  try {
    const verified = await verifyAuthenticationResponse({
      response,
      expectedChallenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: true,
      credential: {
        id: passkey.id,
        publicKey: new Uint8Array(Buffer.from(passkey.publicKey, 'base64url')),
        counter: passkey.counter,
        transports: [...passkey.transports],
      },
    });
    return verified.verified && verified.authenticationInfo.userVerified
      ? { counter: verified.authenticationInfo.newCounter }
      : null;
  } catch {
    return null;
  }
}

/** The user id a passkey assertion's user handle names, if it names one. */
export function userIdOfHandle(response: AuthenticationResponseJSON): string | undefined {
  const handle = response.response?.userHandle;
  if (typeof handle !== 'string' || handle === '') return undefined;
  return Buffer.from(handle, 'base64url').toString('utf8');
}
