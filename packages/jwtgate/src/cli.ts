#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { JwtGateError } from '@jwtgate/verify';
import { Command } from 'commander';
import { registerCheckCommand } from './cli/commands/check.ts';
import { registerClientsCommands } from './cli/commands/clients.ts';
import { registerDemoCommand } from './cli/commands/demo.ts';
import { registerGatewayCommand } from './cli/commands/gateway.ts';
import { registerIntegrateCommand } from './cli/commands/integrate.ts';
import { registerIssuerCommand } from './cli/commands/issuer.ts';
import { registerKeysCommands } from './cli/commands/keys.ts';
import { registerLoginCommand } from './cli/commands/login.ts';
import { registerTokenCommands } from './cli/commands/token.ts';
import { registerTokensCommands } from './cli/commands/tokens.ts';
import { registerUsersCommands } from './cli/commands/users.ts';
import { CodedError, EXIT } from './lib/coded-error.ts';

// The `jwtgate` program: each command group registers itself; this file only assembles them and
// turns an error into its message and exit code.

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const program = new Command()
  .name('jwtgate')
  .description('Secure microservices with JSON Web Tokens')
  .version(version)
  .showHelpAfterError()
  // Set before any subcommand exists, so every subcommand inherits it: help and --version exit 0,
  // every usage error (unknown option, missing argument, bad value) exits 2.
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

registerDemoCommand(program);
registerGatewayCommand(program);
registerIssuerCommand(program);
registerClientsCommands(program);
registerKeysCommands(program);
registerTokensCommands(program);
registerUsersCommands(program);
registerCheckCommand(program);
registerIntegrateCommand(program);
registerTokenCommands(program);
registerLoginCommand(program);

program.parseAsync().catch((err: unknown) => {
  const message = err instanceof JwtGateError ? (err.detail ?? err.message) : (err as Error).message;
  process.stderr.write(`jwtgate: ${message}\n`);
  if (err instanceof CodedError) process.exit(err.exitCode);
  // The verify core sits below CodedError: its option errors are configuration errors too.
  process.exit(err instanceof JwtGateError && err.code === 'ERR_OPTIONS_INVALID' ? EXIT.config : EXIT.failed);
});
