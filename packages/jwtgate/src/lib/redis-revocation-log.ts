// The revocation list as gateways and issuers share it in Redis. Both sides write it (a gateway's
// `POST /revocations`, an issuer relaying its store); gateways read it (redis-revocations.ts).
import type { Redis } from 'ioredis';

/**
 * How long past its exp a revoked jti is kept: a verifier with clock-skew leeway still accepts
 * a token for that long after exp, so the entry must outlive it (leeway is capped to this).
 */
export const REVOCATION_GRACE_SECONDS = 300;

/** Entries kept in the log stream; a gateway further behind catches up from the sorted set instead. */
export const LOG_MAX_LEN = 100_000;

/**
 * Keys under a prefix (default `jwtgate:`): pub/sub channel, sorted set by exp, ordered log, and
 * the store sequence number issuers have relayed up to.
 */
export function revocationKeys(prefix: string) {
  return {
    channel: `${prefix}revocations`,
    revoked: `${prefix}revoked`,
    log: `${prefix}revocation-log`,
    relayed: `${prefix}revocations-relayed-seq`,
  };
}

const horizon = () => Math.floor(Date.now() / 1000) - REVOCATION_GRACE_SECONDS;

/**
 * Records a revocation for every gateway sharing this Redis: the sorted set `<prefix>revoked`
 * (score = exp) holds what is still in force, the stream `<prefix>revocation-log` orders it (its
 * entry id is the sequence a reconnecting gateway resumes after), and `<prefix>revocations`
 * announces it at once. Expired entries are pruned on the way.
 */
export async function publishRevocation(
  redis: Redis,
  prefix: string,
  jti: string,
  exp: number,
): Promise<void> {
  const k = revocationKeys(prefix);
  const results = await redis
    .multi()
    .zadd(k.revoked, 'GT', exp, jti)
    .xadd(k.log, 'MAXLEN', '~', LOG_MAX_LEN, '*', 'jti', jti, 'exp', String(exp))
    .publish(k.channel, JSON.stringify({ jti, exp }))
    .zremrangebyscore(k.revoked, '-inf', `(${horizon()}`)
    .exec();
  const failed = results?.find(([err]) => err !== null);
  if (results === null || failed) throw failed?.[0] ?? new Error('redis transaction aborted');
}

// Applies, atomically, the entries whose store sequence is above the relayed mark, then moves the
// mark: several issuers relaying the same store publish each entry once. The message is built
// here rather than with cjson so `exp` stays an integer.
const RELAY_SCRIPT = `
local relayed = tonumber(redis.call('GET', KEYS[3]) or '0') or 0
local n = 0
for i = 4, #ARGV, 3 do
  local seq = tonumber(ARGV[i])
  if seq > relayed then
    local jti, exp = ARGV[i + 1], ARGV[i + 2]
    redis.call('ZADD', KEYS[1], 'GT', exp, jti)
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'jti', jti, 'exp', exp)
    redis.call('PUBLISH', ARGV[1], '{"jti":' .. cjson.encode(jti) .. ',"exp":' .. exp .. '}')
    relayed = seq
    n = n + 1
  end
end
redis.call('SET', KEYS[3], relayed)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[2])
return n
`;

/** One store revocation to relay: its sequence number orders and de-duplicates it. */
export interface RelayEntry {
  readonly seq: number;
  readonly jti: string;
  readonly exp: number;
}

/** The store sequence number relayed so far (0 when Redis has none, e.g. after it lost its data). */
export async function relayedSeq(redis: Redis, prefix: string): Promise<number> {
  const value = Number(await redis.get(revocationKeys(prefix).relayed));
  return Number.isSafeInteger(value) && value > 0 ? value : 0;
}

/**
 * Publishes store revocations (oldest first) that no issuer has relayed yet; returns how many this
 * call published. Safe to run from every issuer at once: the check and the publication are one
 * script, so an entry another issuer relayed first is skipped.
 */
export async function relayRevocations(
  redis: Redis,
  prefix: string,
  entries: readonly RelayEntry[],
): Promise<number> {
  if (entries.length === 0) return 0;
  const k = revocationKeys(prefix);
  const args: (string | number)[] = [k.channel, horizon(), LOG_MAX_LEN];
  for (const e of entries) args.push(e.seq, e.jti, Math.trunc(e.exp));
  return (await redis.eval(RELAY_SCRIPT, 3, k.revoked, k.log, k.relayed, ...args)) as number;
}
