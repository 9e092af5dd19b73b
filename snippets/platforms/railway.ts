// Railway: the private network (redis.railway.internal) may be reachable over IPv6 only.
//
// Shown on docs/platforms/railway.md beside the Python side, which needs nothing (redis-py
// resolves both address families). ioredis resolves names with the `family` option: 4 means
// IPv4 (A records) only, which fails with ENOTFOUND on an IPv6-only private network; 0 means
// both. ioredis 6.0.0 (pinned here) already defaults to 0 (checked by the test); the option is
// set explicitly so an older ioredis, or a BullMQ connection object built elsewhere, keeps it.
// Run `node platforms/railway.ts` (`railway run …`) to see which address family connected.
import type { RedisOptions } from "ioredis";
import { createRedis, queueConnectionOptions } from "../config/client.ts";
import { loadSettings } from "../config/settings.ts";

// --8<-- [start:railway-options]
// In code, not as ?family=0 in REDIS_URL: the same URL also reaches the Python side, and the
// resolver (config/settings.ts) rejects query options that redis-py does not know.
export const RAILWAY_OPTIONS: RedisOptions = { family: 0 }; // IPv4 and IPv6
// --8<-- [end:railway-options]

if (import.meta.main) {
  // --8<-- [start:usage]
  const redis = createRedis("cache", loadSettings(), RAILWAY_OPTIONS);
  const connection = { ...queueConnectionOptions(), ...RAILWAY_OPTIONS }; // for BullMQ
  // --8<-- [end:usage]
  const info = String(await redis.client("INFO"));
  const laddr = /laddr=(\S+)/.exec(info)?.[1] ?? "";
  console.log(`connected over ${laddr.startsWith("[") || laddr.split(":").length > 2 ? "IPv6" : "IPv4"} (family ${connection.family})`);
  await redis.quit();
}
