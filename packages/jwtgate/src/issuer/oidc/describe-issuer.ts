// Authorization server metadata (RFC 8414 2) for what this issuer does: client credentials and
// token exchange at the token endpoint, revocation and introspection, the users' authorization
// code flow (with its OpenID Connect parts: userinfo, RP-initiated logout) and the device flow. What oidc-provider describes but the
// issuer's router does not serve is removed, so clients never discover an endpoint that is not there.

const NOT_SERVED = [
  'pushed_authorization_request_endpoint',
  'request_parameter_supported',
  'request_uri_parameter_supported',
];

/** The metadata document as served at both well-known paths, from oidc-provider's discovery body. */
export function describeIssuer(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) if (!NOT_SERVED.includes(key)) out[key] = value;
  // The same client authentication guards revocation and introspection as the token endpoint.
  for (const endpoint of ['revocation', 'introspection']) {
    out[`${endpoint}_endpoint_auth_methods_supported`] = body.token_endpoint_auth_methods_supported;
    out[`${endpoint}_endpoint_auth_signing_alg_values_supported`] =
      body.token_endpoint_auth_signing_alg_values_supported;
  }
  return out;
}
