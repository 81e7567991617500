import { relative } from 'node:path';

export interface BannerInput {
  readonly issuerUrl: string;
  readonly gatewayUrl: string;
  readonly tokenLifetime: number;
  readonly clientId: string;
  readonly secretFile: string;
  readonly audience: string;
  /** Whether the client secret was created on this start. */
  readonly secretCreated: boolean;
  /** With `--no-gateway`: the command that runs the gateway; null when the demo runs its own. */
  readonly gatewayCommand: string | null;
}

/** The walkthrough's commands (as in the README) for the ports and data folder in use. */
export function walkthroughBanner(b: BannerInput): string {
  const file = relative(process.cwd(), b.secretFile) || b.secretFile;
  const shown = file.startsWith('..') ? b.secretFile : file;
  const bearer = '--header "Authorization: Bearer $AT"';
  const start =
    b.gatewayCommand === null
      ? ['jwtgate demo is ready: the issuer, the gateway and three services behind it. Try the walkthrough:']
      : [
          'jwtgate demo is ready: the issuer and three services, without a gateway. Start one in another terminal:',
          '',
          `  ${b.gatewayCommand}`,
          '',
          'then try the walkthrough:',
        ];
  return [
    '',
    ...start,
    '',
    `  TOKEN=$(curl -s ${b.issuerUrl})`,
    `  curl -s ${b.gatewayUrl}                                # 401 No Authorization Token provided`,
    `  curl -s ${b.gatewayUrl} --header "Token: $TOKEN"       # Super Secret Information`,
    `  curl -s ${b.gatewayUrl} --header "Authorization: Bearer $TOKEN"`,
    `  # tutorial tokens expire after ${b.tokenLifetime} s; then the same call answers 401 ERR_TOKEN_EXPIRED`,
    '',
    `  # go further: client ${b.clientId} (role billing), ES256 access tokens for ${b.audience}`,
    // The secret itself is never printed: output like this ends up in logs. It is in the file.
    `  SECRET=$(cat ${shown})   # the client secret, created ${b.secretCreated ? 'now' : 'on an earlier start'} (file mode 0600)`,
    `  AT=$(curl -s -u ${b.clientId}:$SECRET -d grant_type=client_credentials -d resource=${b.audience} ${b.issuerUrl}/token | sed 's/.*"access_token":"\\([^"]*\\)".*/\\1/')`,
    `  curl -s ${b.gatewayUrl}/billing ${bearer}     # allowed: the service shows the identity it saw`,
    `  curl -s ${b.gatewayUrl}/inventory ${bearer}   # 403 ERR_INSUFFICIENT_ROLE`,
    `  curl -s ${b.issuerUrl}/.well-known/jwks.json     # the ES256 public key the gateway verifies with`,
    `  curl -s -u ${b.clientId}:$SECRET -d token=$AT ${b.issuerUrl}/token/revocation`,
    `  curl -s ${b.gatewayUrl}/billing ${bearer}     # 401 ERR_TOKEN_REVOKED`,
    '',
    'Each request is logged below. Ctrl-C stops everything.',
    '',
    '',
  ].join('\n');
}
