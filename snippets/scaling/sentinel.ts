// Sentinel recipe with ioredis: find the primary through the sentinels, keep writing through
// a failover.
//
// The TypeScript twin of snippets/scaling/sentinel.py, shown beside it on
// docs/operations/scaling.md. Run `node scaling/sentinel.ts` (in snippets/) with
// REDIS_SENTINELS (and REDIS_SENTINEL_MASTER, REDIS_PASSWORD) set.
import { Redis, ReplyError } from "ioredis";
import { redact, retryStrategy } from "../config/client.ts";
import { RedisConfigError } from "../config/settings.ts";

// --8<-- [start:settings]
/** Where the sentinels are and which group to ask them about. */
export interface SentinelSettings {
  sentinels: { host: string; port: number }[]; // REDIS_SENTINELS="host1:26379,host2:26379,…"
  name: string; // REDIS_SENTINEL_MASTER, the name in the sentinels' "sentinel monitor" line
  db: number; // REDIS_DB
  username?: string; // REDIS_USERNAME (an ACL user on the data nodes)
  password?: string; // REDIS_PASSWORD: data nodes
  sentinelPassword?: string; // REDIS_SENTINEL_PASSWORD
}

/** REDIS_SENTINELS set: ask the sentinels for the primary; REDIS_URL is not read. */
export function sentinelEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.REDIS_SENTINELS?.trim());
}

export function loadSentinelSettings(env: NodeJS.ProcessEnv = process.env): SentinelSettings {
  const sentinels = (env.REDIS_SENTINELS ?? "").split(",").map((entry) => {
    const at = entry.trim().lastIndexOf(":");
    const host = entry.trim().slice(0, Math.max(at, 0));
    const port = entry.trim().slice(at + 1);
    if (at < 1 || !/^\d+$/.test(port) || !(Number(port) > 0 && Number(port) < 65536)) {
      throw new RedisConfigError("url.invalid-port", `REDIS_SENTINELS entry '${entry.trim()}'`);
    }
    return { host: host.replace(/^\[|\]$/g, ""), port: Number(port) };
  });
  const db = env.REDIS_DB?.trim() || "0";
  if (!/^\d+$/.test(db)) throw new RedisConfigError("url.invalid-db", "REDIS_DB");
  const optional = (value: string | undefined) => value?.trim() || undefined;
  return {
    sentinels,
    name: env.REDIS_SENTINEL_MASTER?.trim() || "mymaster",
    db: Number(db),
    username: optional(env.REDIS_USERNAME),
    password: optional(env.REDIS_PASSWORD),
    sentinelPassword: optional(env.REDIS_SENTINEL_PASSWORD),
  };
}
// --8<-- [end:settings]

// --8<-- [start:connect]
/**
 * A client that always talks to the current primary. ioredis asks the sentinels for the
 * primary's address on every (re)connect, skipping a sentinel that does not answer, and
 * checks the ROLE of the node it reaches, so after a failover it reconnects to the new one.
 */
export function createSentinelClient(purpose = "cache", env: NodeJS.ProcessEnv = process.env): Redis {
  const settings = loadSentinelSettings(env);
  const client = new Redis({
    sentinels: settings.sentinels,
    name: settings.name,
    role: "master",
    sentinelPassword: settings.sentinelPassword,
    // No sentinel answered: ask them all again, 3 times with the app's backoff, then give up:
    // waiting commands are rejected ("All sentinels are unreachable …") instead of hanging.
    sentinelRetryStrategy: (times) => (times > 3 ? null : retryStrategy(times)),
    connectTimeout: 1_000, // per sentinel: a dead one is skipped quickly
    username: settings.username, // for the primary: the app's usual options
    password: settings.password,
    db: settings.db,
    connectionName: `pharmacare-${purpose}`,
    socketTimeout: 5_000,
    retryStrategy,
    maxRetriesPerRequest: 3,
  });
  let primary: string | undefined;
  let reported = false;
  client.on("ready", () => {
    // The node ioredis was sent to: logged once, then on every change.
    const address = `${client.stream.remoteAddress}:${client.stream.remotePort}`;
    if (primary === undefined) {
      console.info(`Redis primary for '${settings.name}': ${address} (from sentinel)`);
    } else if (address !== primary) {
      console.warn(`Redis failover: primary for '${settings.name}' moved from ${primary} to ${address}`);
    }
    primary = address;
    reported = false;
  });
  client.on("error", (error: Error) => {
    if (!reported) console.warn(`Redis connection problem: ${redact(error.message, env)}`);
    reported = true;
  });
  return client;
}
// --8<-- [end:connect]

// --8<-- [start:acknowledged]
export class NotReplicatedError extends Error {
  override name = "NotReplicatedError"; // the primary took the write; no replica confirmed it in time
}

/**
 * SET, then WAIT until `replicas` replicas have it: such a write survives a failover. An
 * ioredis client is one connection, so the WAIT counts this SET; a pipeline saves a round trip.
 */
export async function setAcknowledged(client: Redis, key: string, value: string, replicas = 1, timeoutMs = 500): Promise<void> {
  const results = (await client.pipeline().set(key, value).wait(replicas, timeoutMs).exec()) ?? [];
  for (const [error] of results) if (error) throw error;
  const acknowledged = Number(results[1]?.[1]);
  if (acknowledged < replicas) {
    throw new NotReplicatedError(`${key}: ${acknowledged}/${replicas} replicas in ${timeoutMs} ms`);
  }
}
// --8<-- [end:acknowledged]

// --8<-- [start:through-failover]
export const FAILOVER_BUDGET_MS = 60_000; // more than down-after-milliseconds + election + promotion
const RETRY_EVERY_MS = 250; // between attempts while the group has no usable primary

/** A connection problem or a primary being replaced, not a mistake in the command. */
function isTransient(error: unknown): boolean {
  if (!(error instanceof ReplyError)) return true; // refused, closed, MaxRetriesPerRequestError…
  return /^(READONLY|LOADING|MASTERDOWN)/.test((error as Error).message);
}

/**
 * Run `operation`, repeating it while the primary is down or being replaced. Logs the first
 * failure once, then once when it works again: a failover is a few seconds of one warning,
 * not hundreds of lines. Use it for writes that must not be lost (BullMQ producers retry by
 * themselves); a presence heartbeat can simply skip a beat.
 */
export async function throughFailover<T>(operation: () => Promise<T>, budgetMs = FAILOVER_BUDGET_MS): Promise<T> {
  const deadline = performance.now() + budgetMs;
  let firstFailure: number | undefined;
  for (;;) {
    try {
      const result = await operation();
      if (firstFailure !== undefined) {
        console.info(`Redis available again after ${((performance.now() - firstFailure) / 1000).toFixed(1)} s`);
      }
      return result;
    } catch (error) {
      if (!isTransient(error)) throw error;
      const message = redact(error);
      if (firstFailure === undefined) {
        firstFailure = performance.now();
        console.warn(`Redis unavailable, retrying for up to ${budgetMs / 1000} s: ${message.split("\n")[0]}`);
      }
      if (performance.now() >= deadline) {
        console.error(`Redis still unavailable after ${Math.round(budgetMs / 1000)} s: ${message.split("\n")[0]}`);
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_EVERY_MS));
    }
  }
}
// --8<-- [end:through-failover]

if (import.meta.main) {
  if (!sentinelEnabled()) {
    console.error("set REDIS_SENTINELS=host:port,host:port,… (and REDIS_SENTINEL_MASTER)");
    process.exit(1);
  }
  const client = createSentinelClient();
  await setAcknowledged(client, "pharmacare:sentinel-demo", "ok");
  console.log("acknowledged by a replica:", await client.get("pharmacare:sentinel-demo"));
  console.log("PING through failover:", await throughFailover(() => client.ping()));
  await client.quit();
}
