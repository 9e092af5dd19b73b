// AWS ElastiCache: TLS with an AUTH token or RBAC user, and cluster mode with ioredis' Cluster.
//
// The TypeScript twin of snippets/platforms/elasticache.py, shown on docs/platforms/elasticache.md.
// With cluster mode disabled the app's usual client is enough (config/client.ts: rediss://
// with the token or user in REDIS_URL). With cluster mode enabled, REDIS_CLUSTER=true switches
// to a Cluster client that learns the slot map from the configuration endpoint in REDIS_URL.
// Run `node platforms/elasticache.ts` to connect and describe the cluster.
import { Cluster } from "ioredis";
import type { Redis } from "ioredis";
import { createRedis, redact, retryStrategy } from "../config/client.ts";
import { loadSettings, RedisConfigError } from "../config/settings.ts";
import type { RedisSettings } from "../config/settings.ts";

// --8<-- [start:create-cluster]
/** A cluster-aware client: each command goes to the primary owning its key; MOVED/ASK followed. */
export function createCluster(purpose: string, settings: RedisSettings = loadSettings()): Cluster {
  const { host, port, db, ...auth } = settings.redisOptions(); // username, password, tls
  if (db) throw new RedisConfigError("url.invalid-db", "cluster mode has database 0 only");
  const cluster = new Cluster([{ host, port }], {
    // ElastiCache's TLS certificates name the endpoints: connect by name, not by resolved IP,
    // so the certificate check matches (ioredis' documented setting for ElastiCache + TLS).
    dnsLookup: (address, callback) => callback(null, address),
    redisOptions: {
      ...auth,
      connectionName: `pharmacare-${purpose}`,
      connectTimeout: 5_000,
      socketTimeout: 5_000,
      maxRetriesPerRequest: 3,
    },
    // When no node answers, commands wait for the cluster, with no per-command limit: so the
    // cluster client gives up after 3 retries (same backoff) and rejects them with "None of
    // startup nodes is available". It is then closed for good: let the process exit and the
    // platform restart it.
    clusterRetryStrategy: (times) => (times > 3 ? null : retryStrategy(times)),
  });
  let reported = false; // one "problem" line until the next "ready"
  cluster.on("ready", () => {
    console.info(`Redis cluster ${purpose} client connected: ${settings.target}`);
    reported = false;
  });
  cluster.on("error", (error: Error) => {
    if (!reported) console.warn(`Redis cluster problem: ${redact(error.message)}`);
    reported = true;
  });
  return cluster;
}

/** What the app calls: a Cluster when REDIS_CLUSTER=true, else the usual client. */
export function createAppClient(purpose: string, env: NodeJS.ProcessEnv = process.env): Redis | Cluster {
  const enabled = ["true", "1", "yes"].includes(env.REDIS_CLUSTER?.trim().toLowerCase() ?? "");
  return enabled ? createCluster(purpose, loadSettings(env)) : createRedis(purpose, loadSettings(env));
}
// --8<-- [end:create-cluster]

// --8<-- [start:describe-cluster]
/** Shards and eviction policy, from INFO on each primary (ElastiCache blocks CONFIG). */
export async function describeCluster(cluster: Cluster): Promise<Record<string, string>> {
  const primaries = cluster.nodes("master");
  const policies = await Promise.all(
    primaries.map(async (node) => /maxmemory_policy:(\S+)/.exec(await node.info("memory"))?.[1]),
  );
  return { primaries: String(primaries.length), policy: [...new Set(policies)].sort().join(", ") };
}
// --8<-- [end:describe-cluster]

if (import.meta.main) {
  // --8<-- [start:usage]
  const cluster = createAppClient("cache") as Cluster; // REDIS_CLUSTER=true → a Cluster client
  await cluster.set("{pharmacare}:smoke", "ok"); // a hash tag keeps related keys on one shard
  // --8<-- [end:usage]
  console.log("read back:", await cluster.get("{pharmacare}:smoke"));
  for (const [key, value] of Object.entries(await describeCluster(cluster))) console.log(`  ${key}: ${value}`);
  await cluster.quit();
}
