import { SignJWT } from 'jose';

/** The tutorial's claims: `authorized`, `client`, `aud=billing.jwtgo.io`, `iss=jwtgo.io`. */
export const TUTORIAL = Object.freeze({
  issuer: 'jwtgo.io',
  audience: 'billing.jwtgo.io',
  client: 'Krissanawat',
});

/** Mints the tutorial's HS256 token: `exp` one lifetime (default 60 s) from now. */
export function mintTutorialToken(
  secret: string,
  lifetimeSeconds: number,
  nowMs = Date.now(),
): Promise<string> {
  const now = Math.floor(nowMs / 1000);
  return new SignJWT({ authorized: true, client: TUTORIAL.client })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setAudience(TUTORIAL.audience)
    .setIssuer(TUTORIAL.issuer)
    .setIssuedAt(now)
    .setExpirationTime(now + lifetimeSeconds)
    .sign(new TextEncoder().encode(secret));
}
