/**
 * Client-side caching (opt-in) for Node: recently read report-cache entries kept in this process.
 *
 * Shown on docs/usage/caching.md. ioredis (the app's client) has no client-side cache; the
 * `redis` package (node-redis 5) has one: with RESP3 it turns on CLIENT TRACKING and drops a
 * local copy when the server pushes `invalidate` for its key. Reads of the report cache go
 * through it; writes, locks and SCAN stay on ioredis. Run `node cache/client-side.ts`.
 */
import { BasicClientSideCache, createClient } from "redis";
import { createRedis } from "../config/client.ts";
import { loadSettings } from "../config/settings.ts";
import type { RedisSettings } from "../config/settings.ts";
import { RedisCacheService, RedisStore, reportKey } from "./redis-cache-service.ts";
import type { CacheStore } from "./redis-cache-service.ts";

// --8<-- [start:limits]
export const MAX_ENTRIES = 1_000; // local copies at most, least recently used go first
export const TTL_MS = 1_000; // a copy older than this is read again (proves the link, too)
// --8<-- [end:limits]

// --8<-- [start:tracking-client]
/** One node-redis connection for cache reads, RESP3 with its client-side cache. */
export async function trackingClient(settings: RedisSettings = loadSettings(), maxEntries = MAX_ENTRIES, ttl = TTL_MS) {
  const cache = new BasicClientSideCache({ ttl, maxEntries, evictPolicy: "LRU" });
  const options = settings.redisOptions(); // host, port, username, password, db, tls
  const client = createClient({
    RESP: 3, // invalidations arrive as RESP3 pushes on this same connection
    clientSideCache: cache,
    name: "pharmacare-cache-local",
    username: options.username,
    password: options.password,
    database: options.db,
    socket: { host: options.host, port: options.port, tls: options.tls ? true : undefined },
  });
  // node-redis reconnects by itself; a socket error also clears the local copies.
  client.on("error", () => undefined);
  await client.connect();
  return { client, cache };
}
// --8<-- [end:tracking-client]

type TrackingClient = Awaited<ReturnType<typeof trackingClient>>;

// --8<-- [start:store]
/** A CacheStore whose reads may be served from this process; everything else on ioredis. */
export class ClientSideStore implements CacheStore {
  readonly store: RedisStore;
  readonly tracked: TrackingClient;
  constructor(store: RedisStore, tracked: TrackingClient) {
    this.store = store;
    this.tracked = tracked;
  }
  get(key: string): Promise<string | null> {
    return this.tracked.client.get(key); // a local copy if Redis has not invalidated it
  }
  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.tracked.cache.invalidate(key); // our own write: drop our copy now, not on the push
    await this.store.set(key, value, ttlMs);
  }
  add(key: string, value: string, ttlMs: number): Promise<boolean> {
    return this.store.add(key, value, ttlMs); // loader locks: never read through the cache
  }
  async delete(...keys: string[]): Promise<number> {
    for (const key of keys) this.tracked.cache.invalidate(key);
    return this.store.delete(...keys);
  }
  scan(pattern: string): AsyncIterable<string> {
    return this.store.scan(pattern);
  }
  async close(): Promise<void> {
    this.tracked.client.destroy();
    await this.store.client.quit();
  }
}
// --8<-- [end:store]

// --8<-- [start:use]
/** A RedisCacheService whose hits are served from this process while Redis allows it. */
export async function localReportCache(settings: RedisSettings = loadSettings(), maxEntries = MAX_ENTRIES, ttl = TTL_MS) {
  const tracked = await trackingClient(settings, maxEntries, ttl);
  const store = new ClientSideStore(new RedisStore(createRedis("cache")), tracked);
  return { cache: new RedisCacheService(store), store };
}
// --8<-- [end:use]

if (import.meta.main) {
  const { cache, store } = await localReportCache();
  const params = { pharmacy: 12, date: "2026-11-25" };
  const dailySales = async () => ({ pharmacy: 12, date: "2026-11-25", total: "1843.20", orders: 57 });
  await cache.invalidate("daily-sales", params);
  for (let i = 0; i < 3; i++) console.log(await cache.getOrLoad("daily-sales", params, dailySales));
  const { hitCount, missCount } = store.tracked.cache.stats();
  console.log(`local hits=${hitCount} misses=${missCount}`);
  // Another client (another process, in the app) changes the key: Redis tells us.
  const other = createRedis("writer");
  await other.unlink(reportKey("daily-sales", params));
  await new Promise((resolve) => setTimeout(resolve, 50)); // the push travels like a reply
  console.log(await cache.getOrLoad("daily-sales", params, async () => ({ ...(await dailySales()), orders: 58 })));
  console.log(`local copies=${store.tracked.cache.size()}`);
  await other.quit();
  await store.close();
}
