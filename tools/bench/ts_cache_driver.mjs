// Benchmark driver (not shown on the site, not a test): cache-hit reads per second of the
// TypeScript report cache (RedisCacheService.getOrLoad) and query cache (a cached function)
// on one client, one caller, and of a bare ioredis GET loop on each key (the client's own
// floor), for tools/bench/ts_cache.py.
// Usage: node ts_cache_driver.mjs N PAYLOAD_BYTES   (the server comes from REDIS_URL)
import { createRedis } from "../../snippets/config/client.ts";
import { QueryCache, queryKey } from "../../snippets/cache/query-cache.ts";
import { RedisCacheService, RedisStore, reportKey } from "../../snippets/cache/redis-cache-service.ts";

const [n, payloadBytes] = process.argv.slice(2).map(Number);
const client = createRedis("cache");
const store = new RedisStore(client);

/** Calls per second of `call` over n calls, after a warm-up of up to 1,000. */
async function opsPerSecond(call) {
  for (let i = 0; i < Math.min(1000, n); i++) await call();
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await call();
  return n / (Number(process.hrtime.bigint() - started) / 1e9);
}

const cache = new RedisCacheService(store);
const params = { bench: "hit" };
const value = { rows: "x".repeat(Math.max(0, payloadBytes - 60)) }; // ~60 bytes of envelope
const load = () => value;
const key = reportKey("analytics-dashboard", params);
await cache.invalidate("analytics-dashboard", params);
await cache.getOrLoad("analytics-dashboard", params, load);
const report = {
  ops_per_s: await opsPerSecond(() => cache.getOrLoad("analytics-dashboard", params, load)),
  bare_get_ops_per_s: await opsPerSecond(() => client.get(key)),
  payload_bytes: await client.strlen(key),
  key,
  hits: cache.stats.hits,
  loads: cache.stats.loads,
};

const rows = { rows: "x".repeat(Math.max(0, payloadBytes - 12)) }; // ~12 bytes of JSON around it
const stock = new QueryCache(store).cached("bench-stock", async (pharmacyId, inStockOnly = true) => rows, {
  ttlMs: 5 * 60_000,
  keyArgs: (pharmacyId, inStockOnly = true) => [pharmacyId, inStockOnly],
});
await stock(12);
const qkey = queryKey("bench-stock", [12, true]);
const query = {
  ops_per_s: await opsPerSecond(() => stock(12)),
  bare_get_ops_per_s: await opsPerSecond(() => client.get(qkey)),
  payload_bytes: await client.strlen(qkey),
  key: qkey,
  hits: stock.stats.hits,
  loads: stock.stats.loads,
};
console.log(JSON.stringify({ n, report, query }));
client.disconnect();
