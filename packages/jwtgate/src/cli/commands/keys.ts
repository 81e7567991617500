import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { calculateJwkThumbprint, exportJWK, exportPKCS8, exportSPKI, generateKeyPair } from 'jose';
import { formatKeys } from '../../issuer/admin/format-output.ts';
import { listKeys, startRotation } from '../../issuer/admin/manage-keys.ts';
import { ISSUER_DEFAULTS } from '../../issuer/issuer-options.ts';
import { publicPart, SIGNING_ALGORITHMS } from '../../issuer/keys/generate-signing-key.ts';
import { loadKeyEncryptionKey } from '../../store/key-encryption.ts';
import { namingFlags } from '../name-flags.ts';
import { signingAlgorithm, wholeNumber } from '../parse-value.ts';
import { runOnStore, type StoreOptions, storeCommand } from '../store-command.ts';
import { bold, printJson } from '../terminal.ts';
import { UsageError } from '../usage-error.ts';

/**
 * Registers `jwtgate keys`: `generate` makes a key pair on its own; `list` and `rotate` manage the
 * signing keys in the issuer's store.
 */
export function registerKeysCommands(program: Command): void {
  const keys = program
    .command('keys')
    .description('generate key pairs; manage the signing keys of the issuer');

  storeCommand(keys, 'list', 'list signing keys (never private parts)').action(async (opts: StoreOptions) => {
    await runOnStore(opts, (store) => listKeys(store), formatKeys);
  });

  storeCommand(
    keys,
    'rotate',
    'publish a new signing key now; running issuers sign with it after the pre-publication time',
  )
    .option('--alg <alg>', 'algorithm of the new key (default: that of the current key)')
    .option(
      '--pre-publish <seconds>',
      'publication before it signs',
      wholeNumber,
      ISSUER_DEFAULTS.prePublishSeconds,
    )
    .action(
      namingFlags({ alg: '--alg', 'pre-publication time': '--pre-publish' }, async (opts) => {
        const kek = loadKeyEncryptionKey(process.env);
        await runOnStore(
          opts,
          (store) =>
            startRotation(store, {
              ...(opts.alg ? { alg: opts.alg } : {}),
              prePublishSeconds: opts.prePublish,
              kek,
              actor: 'cli',
              now: Date.now(),
            }),
          (k) => `new key ${k.kid} (${k.alg}) published; it signs from ${k.activates_at}\n`,
        );
      }),
    );

  keys
    .command('generate')
    .description('generate a signing key pair, as JWK and PEM (private files are written with mode 0600)')
    .option('--alg <alg>', `${SIGNING_ALGORITHMS.join(', ')}`, signingAlgorithm, 'ES256')
    .option('--kid <kid>', 'key id (default: the RFC 7638 thumbprint of the key)')
    .option(
      '--out-dir <dir>',
      'write private.jwk.json, private.pem, public.jwk.json, public.pem and jwks.json there instead of printing',
    )
    .option('--force', 'overwrite existing files in --out-dir', false)
    .option('--json', 'print JSON', false)
    .action(async (opts) => {
      const alg = opts.alg as string;
      // RSA: 2048 bits, the RFC 7518 3.3 minimum.
      const { privateKey, publicKey } = await generateKeyPair(alg, {
        extractable: true,
        modulusLength: 2048,
      });
      const jwk = await exportJWK(privateKey);
      const kid = (opts.kid as string | undefined) ?? (await calculateJwkThumbprint(jwk, 'sha256'));
      const privateJwk = { ...jwk, kid, alg, use: 'sig' };
      const publicJwk = publicPart(jwk, kid, alg);
      const privatePem = await exportPKCS8(privateKey);
      const publicPem = await exportSPKI(publicKey);
      if (opts.outDir) {
        const dir = opts.outDir as string;
        const files: [string, string, number][] = [
          ['private.jwk.json', `${JSON.stringify(privateJwk, null, 2)}\n`, 0o600],
          ['private.pem', privatePem, 0o600],
          ['public.jwk.json', `${JSON.stringify(publicJwk, null, 2)}\n`, 0o644],
          ['public.pem', publicPem, 0o644],
          ['jwks.json', `${JSON.stringify({ keys: [publicJwk] }, null, 2)}\n`, 0o644],
        ];
        mkdirSync(dir, { recursive: true });
        const existing = files.map(([name]) => join(dir, name)).filter((f) => existsSync(f));
        if (existing.length && !opts.force)
          throw new UsageError(`${existing.join(', ')} exist (--force overwrites)`);
        for (const [name, text, mode] of files) {
          writeFileSync(join(dir, name), text, { mode });
          // The mode above applies only to a new file; an overwritten one is narrowed too.
          chmodSync(join(dir, name), mode);
        }
        const written = files.map(([name]) => join(dir, name));
        if (opts.json) printJson({ alg, kid, files: written });
        else process.stdout.write(`${alg} key ${kid} written:\n${written.map((f) => `  ${f}`).join('\n')}\n`);
        return;
      }
      if (opts.json) {
        printJson({
          alg,
          kid,
          private_jwk: privateJwk,
          public_jwk: publicJwk,
          private_pem: privatePem,
          public_pem: publicPem,
        });
        return;
      }
      process.stdout.write(
        `${bold('private JWK')} (keep secret)\n${JSON.stringify(privateJwk)}\n\n${bold('public JWK')}\n${JSON.stringify(publicJwk)}\n\n` +
          `${bold('private PEM')} (keep secret)\n${privatePem}\n${bold('public PEM')}\n${publicPem}`,
      );
    });
}
