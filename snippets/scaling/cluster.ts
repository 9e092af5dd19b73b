// Cluster recipes with ioredis' Cluster: the client, hash tags, queue keys in one slot, MOVED,
// prefix invalidation on every primary.
//
// The TypeScript twin of snippets/scaling/cluster.py, shown beside it on
// docs/operations/scaling.md. Run `node scaling/cluster.ts` (in snippets/) with REDIS_URL
// pointing at any node of a cluster (the configuration endpoint on ElastiCache).
import { Cluster } from "ioredis";
import type { Redis } from "ioredis";
import { createRedis, redact, retryStrategy } from "../config/client.ts";
import { loadSettings, RedisConfigError } from "../config/settings.ts";

// --8<-- [start:connect]
/** REDIS_CLUSTER=true: REDIS_URL names one node (or the configuration endpoint). */
export function clusterEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return ["true", "1", "yes"].includes(env.REDIS_CLUSTER?.trim().toLowerCase() ?? "");
}

/**
 * A cluster-aware client: it learns the slot map from the node in REDIS_URL, sends each
 * command to the primary that owns its key and follows MOVED/ASK by itself. Resolves once
 * the slot map is loaded, so the log line can say how many primaries there are.
 */
export async function createClusterClient(purpose = "cache", env: NodeJS.ProcessEnv = process.env): Promise<Cluster> {
  const settings = loadSettings(env); // same variables as a single server
  const { host, port, db, ...auth } = settings.redisOptions(); // username, password, tls
  if (db) throw new RedisConfigError("url.invalid-db", "a cluster has database 0 only");
  const cluster = new Cluster([{ host, port }], {
    redisOptions: {
      ...auth, // the same credentials on every node
      connectionName: `pharmacare-${purpose}`,
      connectTimeout: 5_000,
      socketTimeout: 5_000,
      maxRetriesPerRequest: 3,
    },
    // No node reachable at all: retry 3 times with the app's backoff, then give up.
    clusterRetryStrategy: (times) => (times > 3 ? null : retryStrategy(times)),
  });
  let reported = false; // one "problem" line per outage, not one per attempt
  cluster.on("error", (error: Error) => {
    if (!reported) console.warn(`Redis cluster problem: ${redact(error.message, env)}`);
    reported = true;
  });
  await new Promise<void>((resolve, reject) => {
    cluster.once("ready", resolve);
    cluster.once("end", () => reject(new Error(`Redis cluster unreachable: ${settings.target}`)));
  });
  console.info(`Redis cluster connected: ${settings.target} (${cluster.nodes("master").length} primaries)`);
  return cluster;
}

/** What the app calls: a Cluster when REDIS_CLUSTER=true, else the usual client. */
export async function createAppClient(purpose = "cache", env: NodeJS.ProcessEnv = process.env): Promise<Redis | Cluster> {
  return clusterEnabled(env) ? createClusterClient(purpose, env) : createRedis(purpose, loadSettings(env));
}
// --8<-- [end:connect]

// --8<-- [start:moved]
/** A log line for a MOVED reply: a single-server client is talking to a cluster. */
export function explainMoved(error: Error): string | undefined {
  const moved = /^MOVED (\d+) (\S+)/.exec(error.message); // ioredis keeps the server's reply
  if (!moved) return undefined;
  return (
    `key slot ${moved[1]} is served by ${moved[2]}: REDIS_URL points at a cluster node; ` +
    "set REDIS_CLUSTER=true so the app uses the cluster client"
  );
}
// --8<-- [end:moved]

// --8<-- [start:hash-tags]
/** Only the part in {braces} is hashed: all keys of one pharmacy share a slot. */
export function pharmacyKey(pharmacyId: number, name: string): string {
  return `pharmacare:{pharmacy-${pharmacyId}}:${name}`;
}

/** Move stock from "available" to "reserved" atomically (MULTI/EXEC in one slot). */
export async function reserveStock(cluster: Cluster, pharmacyId: number, sku: string, quantity: number): Promise<number> {
  const available = pharmacyKey(pharmacyId, "stock:available");
  const reserved = pharmacyKey(pharmacyId, "stock:reserved");
  const results = await cluster
    .multi() // allowed: both keys in one slot
    .hincrby(available, sku, -quantity)
    .hincrby(reserved, sku, quantity)
    .exec();
  const [error, left] = results?.[0] ?? [new Error("transaction aborted"), null];
  if (error) throw error;
  return Number(left);
}
// --8<-- [end:hash-tags]

// --8<-- [start:queue-keys]
export const QUEUE_PREFIX = "{pharmacare}"; // BullMQ's "prefix" option (scaling/cluster-queues.ts)
// Keys BullMQ keeps per queue (a few of them): its Lua scripts touch several at once.
export const BULLMQ_KEY_TYPES = ["wait", "active", "delayed", "prioritized", "meta", "id", "events", "1"];

/** CLUSTER KEYSLOT of each key of one queue: one slot with a hash-tag prefix. */
export async function queueKeySlots(cluster: Cluster, queue: string, prefix = QUEUE_PREFIX): Promise<Record<string, number>> {
  const slots: Record<string, number> = {};
  for (const kind of BULLMQ_KEY_TYPES) {
    const key = `${prefix}:${queue}:${kind}`;
    slots[key] = Number(await cluster.call("CLUSTER", "KEYSLOT", key));
  }
  return slots;
}
// --8<-- [end:queue-keys]

// --8<-- [start:invalidate]
/**
 * Delete every key starting with `prefix` on every primary. Returns the count.
 *
 * SCAN walks one node's keyspace, so each primary is scanned in turn. The keys of one batch
 * are in many slots, so they are not sent as one UNLINK (CROSSSLOT): a pipeline of one-key
 * UNLINKs goes to the node that holds them, and frees memory in the background.
 */
export async function invalidatePrefix(cluster: Cluster, prefix: string, batch = 500): Promise<number> {
  let deleted = 0;
  for (const node of cluster.nodes("master")) {
    const stream = node.scanStream({ match: `${prefix}*`, count: batch });
    for await (const keys of stream as AsyncIterable<string[]>) {
      if (keys.length === 0) continue;
      const pipeline = node.pipeline();
      for (const key of keys) pipeline.unlink(key);
      for (const [error, count] of (await pipeline.exec()) ?? []) {
        if (error) throw error;
        deleted += Number(count);
      }
    }
  }
  return deleted;
}
// --8<-- [end:invalidate]

/** How many of `keys` each primary holds ("host:port" → count), for the demo. */
export async function keysPerPrimary(cluster: Cluster, keys: string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const node of cluster.nodes("master")) counts[`${node.options.host}:${node.options.port}`] = 0;
  for (const key of keys) {
    const slot = Number(await cluster.call("CLUSTER", "KEYSLOT", key));
    const owner = cluster.slots[slot]?.[0] ?? "unknown"; // the slot map ioredis keeps: [primary, …]
    counts[owner] = (counts[owner] ?? 0) + 1;
  }
  return counts;
}

if (import.meta.main) {
  const cluster = await createClusterClient();
  const cacheKeys = Array.from({ length: 30 }, (_, n) => `pharmacare:cache:v1:report:daily-sales:pharmacy=${n}`);
  for (const key of cacheKeys) await cluster.set(key, "{}", "EX", 300);
  console.log("cache keys per primary:", Object.values(await keysPerPrimary(cluster, cacheKeys)).sort());
  console.log("invalidated:", await invalidatePrefix(cluster, "pharmacare:cache:v1:report:daily-sales:"));
  await cluster.hset(pharmacyKey(12, "stock:available"), "amoxicillin-500", 40);
  console.log("left after reserving 3:", await reserveStock(cluster, 12, "amoxicillin-500", 3));
  const slots = new Set(Object.values(await queueKeySlots(cluster, "appointment-reminder")));
  console.log("queue slots:", [...slots]);
  await cluster.quit();
}
