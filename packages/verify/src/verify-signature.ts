import { constants, createHmac, verify as cryptoVerify } from 'node:crypto';
import { ALGORITHMS, type Algorithm, type AlgorithmSpec } from './algorithms.ts';
import type { TrustedKey } from './keys/trusted-key.ts';
import { decodeBase64urlTransient } from './lib/base64url.ts';

// HMAC: compare our base64url digest with the segment as text. Both have a fixed length for the
// algorithm and one canonical spelling, so equal text is equal bytes; the loop has no early exit.
function equalConstantTime(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

let input = Buffer.allocUnsafe(1024);

/** The signing input (ASCII: two canonical base64url segments and a dot) in a reused buffer. */
function signingBytes(signingInput: string): Buffer {
  if (input.length < signingInput.length)
    input = Buffer.allocUnsafe(Math.max(signingInput.length, 2 * input.length));
  return input.subarray(0, input.write(signingInput, 0, 'latin1'));
}

/**
 * Checks a JWS signature with node:crypto over input already parsed strictly by parseToken;
 * `segment` is the signature's canonical base64url text.
 * The key was chosen from trusted keys and fits `alg` (keyFitsAlgorithm). Signature lengths are
 * exact: DER-encoded ECDSA, truncated or padded signatures fail here before any math.
 */
export function verifySignature(
  alg: Algorithm,
  key: TrustedKey,
  signingInput: string,
  segment: string,
): boolean {
  const spec: AlgorithmSpec = ALGORITHMS[alg];
  if (spec.kind === 'oct') {
    const expected = createHmac(spec.hash as string, key.key)
      .update(signingInput)
      .digest('base64url');
    return equalConstantTime(expected, segment);
  }
  // Both byte strings live in reused buffers: node:crypto reads them before this returns.
  const signature = decodeBase64urlTransient(segment);
  if (signature === undefined) return false;
  // RSA signatures are exactly the modulus length (RFC 8017 8.2.2 step 1).
  const length = spec.kind === 'RSA' ? key.bytes : spec.signatureBytes;
  if (signature.length !== length) return false;
  const data = signingBytes(signingInput);
  try {
    if (spec.kind === 'EC') {
      return cryptoVerify(spec.hash, data, { key: key.key, dsaEncoding: 'ieee-p1363' }, signature);
    }
    if (spec.pss) {
      // RFC 7518 3.5: MGF1 with the same hash, salt as long as the hash output.
      return cryptoVerify(
        spec.hash,
        data,
        {
          key: key.key,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: (spec.hash === 'sha256' ? 32 : spec.hash === 'sha384' ? 48 : 64) as number,
        },
        signature,
      );
    }
    return cryptoVerify(spec.hash, data, key.key, signature);
  } catch {
    return false;
  }
}
