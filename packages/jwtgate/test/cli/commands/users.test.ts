// `jwtgate users ...` as an operator runs it: the real CLI against a temporary SQLite store.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { verifyPassword } from '../../../src/store/hash-password.ts';
import { openSqliteStore } from '../../../src/store/sqlite-store.ts';
import type { Store } from '../../../src/store/types.ts';
import { CLI, type CliResult } from '../run-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'jwtgate-cli-users-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let fileCount = 0;

/** Runs `jwtgate <args> --store=<file>`, writing `input` to its standard input. */
function run(file: string, args: readonly string[], input = ''): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=jwtgate-source', CLI, ...args, `--store=${file}`], {
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** A fresh store file and a CLI bound to it. */
function fresh() {
  const file = join(dir, `users-${++fileCount}.db`);
  return {
    file,
    cli: (args: readonly string[], input?: string) => run(file, args, input),
    async open<T>(fn: (store: Store) => Promise<T>): Promise<T> {
      const store = openSqliteStore(file);
      await store.migrate();
      try {
        return await fn(store);
      } finally {
        await store.close();
      }
    },
  };
}

describe('jwtgate users', () => {
  test('add generates a strong password, prints it once, and stores only its argon2id hash', async () => {
    const t = fresh();
    const r = await t.cli([
      'users',
      'add',
      'Alice',
      '--email',
      'alice@example.com',
      '--name',
      'Alice Liddell',
      '--roles',
      'webapp=billing,reader',
      '*=staff',
      '--admin',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const password = /password: (\S+)/.exec(r.stdout)?.[1] as string;
    assert.match(password, /^[A-Za-z0-9_-]{24}$/, '144 random bits, base64url');
    assert.match(r.stdout, /shown only this once/);
    assert.equal(r.stdout.split(password).length, 2, 'printed exactly once');

    const { user, audit } = await t.open(async (store) => ({
      user: await store.users.getByUsername('alice'),
      audit: await store.audit.recent(10),
    }));
    assert.ok(user);
    assert.match(user.id, /^usr_[A-Za-z0-9_-]{22}$/);
    assert.equal(user.username, 'Alice');
    assert.equal(user.email, 'alice@example.com');
    assert.equal(user.name, 'Alice Liddell');
    assert.deepEqual(user.roles, { webapp: ['billing', 'reader'], '*': ['staff'] });
    assert.equal(user.admin, true);
    assert.equal(user.disabled, false);
    assert.match(user.passwordHash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.deepEqual(await verifyPassword(user.passwordHash, password), { ok: true, needsRehash: false });

    assert.deepEqual(
      audit.map((e) => [e.type, e.actor, e.subject]),
      [['user.created', 'cli', user.id]],
    );
    const logged = JSON.stringify(audit);
    assert.ok(!logged.includes(password) && !logged.includes(user.passwordHash));
  });

  test('--password-stdin takes the password from standard input (one line break dropped), never printing it', async () => {
    const t = fresh();
    const r = await t.cli(['users', 'add', 'bob', '--password-stdin', '--json'], ' my pass phrase \n');
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { user: Record<string, unknown>; password?: string };
    assert.equal(out.password, undefined);
    assert.equal(out.user.username, 'bob');
    assert.deepEqual(out.user.roles, {});
    assert.equal(out.user.admin, false);
    assert.doesNotMatch(r.stdout, /my pass phrase|argon2|password_hash|passwordHash/);
    const hash = await t.open(
      async (store) => (await store.users.getByUsername('BOB'))?.passwordHash as string,
    );
    assert.equal(
      (await verifyPassword(hash, ' my pass phrase ')).ok,
      true,
      'inner and surrounding spaces kept',
    );
    assert.equal((await verifyPassword(hash, ' my pass phrase \n')).ok, false);
  });

  test('refusals: a taken username in any case (exit 1); a short password, a bad username or role, named by the flag (exit 2)', async () => {
    const t = fresh();
    assert.equal((await t.cli(['users', 'add', 'alice'])).code, 0);
    const dup = await t.cli(['users', 'add', 'ALICE']);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /already exists/);
    const short = await t.cli(['users', 'add', 'carol', '--password-stdin'], 'seven77\n');
    assert.equal(short.code, 2);
    assert.match(short.stderr, /at least 8 characters/);
    assert.doesNotMatch(short.stderr, /seven77/);
    const empty = await t.cli(['users', 'add', 'carol', '--password-stdin'], '');
    assert.equal(empty.code, 2);
    const spaced = await t.cli(['users', 'add', 'carol smith']);
    assert.equal(spaced.code, 2);
    assert.match(spaced.stderr, /^jwtgate: <username>: 1-64 characters/);
    const role = await t.cli(['users', 'add', 'dave', '--roles', 'webapp']);
    assert.equal(role.code, 2);
    assert.match(role.stderr, /^jwtgate: --roles: "webapp" is not client=role1,role2/);
    const email = await t.cli(['users', 'add', 'erin', '--email', 'not-an-address']);
    assert.equal(email.code, 2);
    assert.match(email.stderr, /^jwtgate: --email: expected/);
    const users = await t.open((store) => store.users.list());
    assert.deepEqual(
      users.map((u) => u.username),
      ['alice'],
    );
  });

  test('usage errors exit 2', async () => {
    const t = fresh();
    assert.equal((await t.cli(['users', 'add'])).code, 2);
    assert.equal((await t.cli(['users', 'set-roles', 'alice'])).code, 2);
    assert.equal((await t.cli(['users', 'frobnicate'])).code, 2);
    const help = await t.cli(['users', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /reset-password/);
  });

  test('list and show never show a password hash; --json is data; lookup ignores case', async () => {
    const t = fresh();
    await t.cli(['users', 'add', 'alice', '--roles', 'webapp=reader']);
    await t.cli(['users', 'add', 'bob']);
    const list = await t.cli(['users', 'list', '--json']);
    assert.equal(list.code, 0, list.stderr);
    const users = JSON.parse(list.stdout) as Record<string, unknown>[];
    assert.deepEqual(
      users.map((u) => u.username),
      ['alice', 'bob'],
    );
    assert.deepEqual(Object.keys(users[0] ?? {}).sort(), [
      'admin',
      'created_at',
      'disabled',
      'email',
      'failed_logins',
      'id',
      'locked_until',
      'mfa_required',
      'name',
      'roles',
      'updated_at',
      'username',
    ]);
    const text = await t.cli(['users', 'list']);
    assert.match(text.stdout, /^USERNAME\s+ID\s+ROLES\s+ADMIN\s+STATE/);
    assert.match(text.stdout, /alice\s+usr_\S+\s+webapp=reader\s+no\s+active/);
    const show = await t.cli(['users', 'show', 'ALICE']);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /username:\s+alice/);
    assert.match(show.stdout, /roles:\s+webapp=reader/);
    for (const out of [list.stdout, text.stdout, show.stdout]) assert.doesNotMatch(out, /argon2|hash/i);
    const byId = await t.cli(['users', 'show', String(users[1]?.id), '--json']);
    assert.equal(JSON.parse(byId.stdout).username, 'bob');
    const missing = await t.cli(['users', 'show', 'nobody']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no user nobody/);
  });

  test('set-roles replaces the named clients’ roles, removes with client=, keeps the others; audited', async () => {
    const t = fresh();
    await t.cli(['users', 'add', 'alice', '--roles', 'webapp=reader', 'api=read', '*=staff']);
    const r = await t.cli([
      'users',
      'set-roles',
      'alice',
      'webapp=billing,reader,billing',
      'api=',
      'new=x',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const expected = { webapp: ['billing', 'reader'], '*': ['staff'], new: ['x'] };
    assert.deepEqual(JSON.parse(r.stdout).roles, expected);
    const { user, event } = await t.open(async (store) => ({
      user: await store.users.getByUsername('alice'),
      event: (await store.audit.recent(1, ['user.roles_changed']))[0],
    }));
    assert.deepEqual(user?.roles, expected);
    assert.equal(event?.subject, user?.id);
    assert.deepEqual(event?.detail.after, expected);
    const bad = await t.cli(['users', 'set-roles', 'alice', 'we bapp=x']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^jwtgate: <client=roles\.\.\.>: "we bapp" is not a client id/);
  });

  test('disable and enable; enable also ends a lock-out; both audited', async () => {
    const t = fresh();
    await t.cli(['users', 'add', 'alice']);
    const off = await t.cli(['users', 'disable', 'alice']);
    assert.equal(off.code, 0, off.stderr);
    assert.match(off.stdout, /user alice disabled/);
    const id = await t.open(async (store) => {
      const user = await store.users.getByUsername('alice');
      assert.equal(user?.disabled, true);
      await store.users.update(user?.id as string, { failedLogins: 7, lockedUntil: Date.now() + 600_000 });
      return user?.id;
    });
    const shown = await t.cli(['users', 'list']);
    assert.match(shown.stdout, /alice\s+\S+\s+-\s+no\s+disabled/);
    const on = await t.cli(['users', 'enable', 'alice', '--json']);
    assert.equal(on.code, 0, on.stderr);
    const view = JSON.parse(on.stdout);
    assert.equal(view.disabled, false);
    assert.equal(view.failed_logins, 0);
    assert.equal(view.locked_until, null);
    const events = await t.open((store) => store.audit.recent(10, ['user.disabled', 'user.enabled']));
    assert.deepEqual(
      events.map((e) => [e.type, e.subject]),
      [
        ['user.enabled', id],
        ['user.disabled', id],
      ],
    );
    assert.equal((await t.cli(['users', 'disable', 'nobody'])).code, 1);
  });

  test('reset-password: generated or from stdin; the old one stops working; audited without secrets', async () => {
    const t = fresh();
    const added = await t.cli(['users', 'add', 'alice']);
    const first = /password: (\S+)/.exec(added.stdout)?.[1] as string;
    const generated = await t.cli(['users', 'reset-password', 'alice', '--json']);
    assert.equal(generated.code, 0, generated.stderr);
    const second = JSON.parse(generated.stdout).password as string;
    assert.match(second, /^[A-Za-z0-9_-]{24}$/);
    assert.notEqual(second, first);
    const hashAfterGenerated = await t.open(
      async (store) => (await store.users.getByUsername('alice'))?.passwordHash as string,
    );
    assert.equal((await verifyPassword(hashAfterGenerated, first)).ok, false);
    assert.equal((await verifyPassword(hashAfterGenerated, second)).ok, true);

    await t.open(async (store) => {
      const user = await store.users.getByUsername('alice');
      await store.users.update(user?.id as string, { failedLogins: 5, lockedUntil: Date.now() + 600_000 });
    });
    const piped = await t.cli(
      ['users', 'reset-password', 'alice', '--password-stdin'],
      'chosen by the user\n',
    );
    assert.equal(piped.code, 0, piped.stderr);
    assert.match(piped.stdout, /user alice has a new password/);
    assert.doesNotMatch(piped.stdout, /password:|chosen/);
    const { user, audit } = await t.open(async (store) => ({
      user: await store.users.getByUsername('alice'),
      audit: await store.audit.recent(10),
    }));
    assert.equal((await verifyPassword(user?.passwordHash as string, 'chosen by the user')).ok, true);
    assert.equal((await verifyPassword(user?.passwordHash as string, second)).ok, false);
    assert.equal(user?.failedLogins, 0);
    assert.equal(user?.lockedUntil, null);
    assert.deepEqual(
      audit.filter((e) => e.type === 'user.password_reset').map((e) => e.detail.generated),
      [false, true],
    );
    const logged = JSON.stringify(audit);
    for (const secret of [
      first,
      second,
      'chosen by the user',
      hashAfterGenerated,
      user?.passwordHash as string,
    ])
      assert.ok(!logged.includes(secret));

    const short = await t.cli(['users', 'reset-password', 'alice', '--password-stdin'], 'short\n');
    assert.equal(short.code, 1);
    assert.match(short.stderr, /at least 8/);
    assert.equal((await t.cli(['users', 'reset-password', 'nobody'])).code, 1);
  });

  test('remove deletes the user and frees the username; audited', async () => {
    const t = fresh();
    await t.cli(['users', 'add', 'alice']);
    const id = await t.open(async (store) => (await store.users.getByUsername('alice'))?.id);
    const r = await t.cli(['users', 'remove', 'Alice']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /user alice removed/);
    const gone = await t.cli(['users', 'show', 'alice']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /no user alice/);
    const again = await t.cli(['users', 'remove', 'alice']);
    assert.equal(again.code, 1);
    const [event] = await t.open((store) => store.audit.recent(1, ['user.removed']));
    assert.equal(event?.subject, id);
    assert.deepEqual(event?.detail, { username: 'alice', grants_ended: 0 });
    assert.equal((await t.cli(['users', 'add', 'alice'])).code, 0);
  });

  test('second factors: add --mfa-required, require-mfa [--off], show lists factors, reset-mfa removes them; audited', async () => {
    const t = fresh();
    const added = await t.cli(['users', 'add', 'alice', '--mfa-required', '--json']);
    assert.equal(added.code, 0, added.stderr);
    assert.equal(JSON.parse(added.stdout).user.mfa_required, true);
    const off = await t.cli(['users', 'require-mfa', 'alice', '--off']);
    assert.equal(off.code, 0, off.stderr);
    assert.match(off.stdout, /^mfa required: +no$/m);
    assert.match((await t.cli(['users', 'require-mfa', 'ALICE'])).stdout, /^mfa required: +yes$/m);
    await t.open(async (store) => {
      const user = await store.users.getByUsername('alice');
      await store.totp.begin(user?.id as string, 'JBSWY3DPEHPK3PXP', Date.now());
      await store.totp.confirm(user?.id as string, 1, Date.now());
      await store.recoveryCodes.replace(user?.id as string, ['h1', 'h2'], Date.now());
      await store.passkeys.add({
        id: 'cred-1',
        userId: user?.id as string,
        publicKey: 'pQ',
        counter: 0,
        transports: [],
        name: 'Laptop',
        deviceType: 'singleDevice',
        backedUp: false,
      });
    });
    const show = await t.cli(['users', 'show', 'alice']);
    assert.match(show.stdout, /^totp: +active$/m);
    assert.match(show.stdout, /^passkeys: +Laptop$/m);
    assert.match(show.stdout, /^recovery codes: +2 left$/m);
    assert.doesNotMatch(show.stdout, /JBSWY3DPEHPK3PXP|pQ/);
    const reset = await t.cli(['users', 'reset-mfa', 'alice']);
    assert.equal(reset.code, 0, reset.stderr);
    assert.match(reset.stdout, /second factors of alice removed/);
    const after = JSON.parse((await t.cli(['users', 'show', 'alice', '--json'])).stdout);
    assert.deepEqual(after.factors, { totp: 'none', recovery_codes_left: 0, passkeys: [] });
    const [event] = await t.open((store) => store.audit.recent(1, ['user.factors_reset']));
    assert.deepEqual(event?.detail, { username: 'alice', totp: 'active', passkeys: 1, recovery_codes: 2 });
    assert.equal((await t.cli(['users', 'reset-mfa', 'nobody'])).code, 1);
  });
});
