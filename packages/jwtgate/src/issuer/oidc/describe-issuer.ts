// Authorization server metadata (RFC 8414 2) for what this issuer does: client credentials at the
// token endpoint, revocation and introspection. oidc-provider always describes its authorization
// endpoint and OpenID Connect parts; those are removed here because the issuer serves none of them
// (its router refuses those paths), so clients never discover an endpoint that is not there.

const NOT_SERVED = [
  'authorization_endpoint',
  'authorization_response_iss_parameter_supported',
  'claim_types_supported',
  'claims_parameter_supported',
  'claims_supported',
  'code_challenge_methods_supported',
  'end_session_endpoint',
  'id_token_signing_alg_values_supported',
  'pushed_authorization_request_endpoint',
  'request_parameter_supported',
  'request_uri_parameter_supported',
  'response_modes_supported',
  'scopes_supported',
  'userinfo_endpoint',
];

/** The metadata document as served at both well-known paths, from oidc-provider's discovery body. */
export function describeIssuer(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) if (!NOT_SERVED.includes(key)) out[key] = value;
  // RFC 8414 2: required; this server has no authorization endpoint, so it supports no response type.
  out.response_types_supported = [];
  // The same client authentication guards revocation and introspection as the token endpoint.
  for (const endpoint of ['revocation', 'introspection']) {
    out[`${endpoint}_endpoint_auth_methods_supported`] = body.token_endpoint_auth_methods_supported;
    out[`${endpoint}_endpoint_auth_signing_alg_values_supported`] =
      body.token_endpoint_auth_signing_alg_values_supported;
  }
  return out;
}
