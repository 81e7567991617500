import type { Command } from 'commander';
import { formatRevocation } from '../../issuer/admin/format-output.ts';
import { revokeJti } from '../../issuer/revocation/revoke-jti.ts';
import { wholeNumber } from '../parse-value.ts';
import { runOnStore, storeCommand } from '../store-command.ts';

/** Registers `jwtgate tokens revoke`. */
export function registerTokensCommands(program: Command): void {
  const tokens = program.command('tokens').description('act on issued access tokens');

  storeCommand(tokens, 'revoke <jti>', 'put a token id on the revocation list (and the feed gateways follow)')
    .option('--exp <seconds>', "the token's exp (NumericDate); default: now + 24 h", wholeNumber)
    .action(async (jti: string, opts) => {
      const exp = opts.exp ?? Math.ceil(Date.now() / 1000) + 86_400;
      await runOnStore(opts, (store) => revokeJti(store, { jti, exp, actor: 'cli' }), formatRevocation);
    });
}
