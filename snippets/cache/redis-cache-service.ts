/**
 * Report cache: the app's RedisCacheService — cache-aside with a TTL per data type,
 * stampede protection and hit counters.
 *
 * Shown on docs/usage/caching.md beside the Python version (snippets/cache/report_cache.py):
 * same keys, same JSON envelope, so a Node and a Python process share entries.
 * Run `node cache/redis-cache-service.ts` (in snippets/) to load a report three times and
 * print the counters.
 */
import type { Redis } from "ioredis";

import { createRedis } from "../config/client.ts";

/** The cache's log lines (console, like the client's "connected" lines). */
export const log = {
  info: (message: string): void => console.info(message),
  warn: (message: string): void => console.warn(message),
};

const MINUTE = 60_000;

// --8<-- [start:ttl-table]
// How long each kind of report stays fresh. One table: change a TTL here, nowhere else.
export const REPORT_TTL_MS: Readonly<Record<string, number>> = {
  "inventory-levels": 5 * MINUTE, // changes with every sale
  "daily-sales": 5 * MINUTE,
  "appointment-stats": 10 * MINUTE,
  "adherence-summary": 15 * MINUTE,
  "monthly-revenue": 30 * MINUTE, // closed periods barely change
  "analytics-dashboard": 30 * MINUTE,
};
export const STALE_FOR_MS = 2 * MINUTE; // after its TTL an entry may still be served while one reloads
export const JITTER = 0.1; // ±10 % on every TTL, so entries written together do not expire together
export const MAX_VALUE_BYTES = 512 * 1024; // larger results are returned but not cached
// --8<-- [end:ttl-table]

// --8<-- [start:keys]
// pharmacare:cache:v1:report:daily-sales:date=2026-11-25:pharmacy=12
//   prefix  | version | family | report type | parameters, sorted, values percent-encoded
// (a report without parameters ends in ":all"). Bump KEY_VERSION when the cached JSON
// changes shape: old entries are never read again and expire on their TTL — no flush.
export const KEY_VERSION = "v1";
export const PREFIX = `pharmacare:cache:${KEY_VERSION}:report`;
export const LOCKS = `pharmacare:cache:${KEY_VERSION}:loading`; // "one loader" locks
export type Params = Readonly<Record<string, string | number>>;

// encodeURIComponent leaves ! ' ( ) * as they are: encode them too, so a value can never
// contain ":" or a SCAN glob character, and keys match the Python side's byte for byte.
const encode = (value: string | number): string =>
  encodeURIComponent(String(value)).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const segments = (params: Params): string[] =>
  Object.keys(params)
    .sort()
    .map((name) => `${name}=${encode(params[name]!)}`);

export function reportKey(report: string, params: Params): string {
  if (!(report in REPORT_TTL_MS)) throw new RangeError(`unknown report type "${report}": add it to REPORT_TTL_MS`);
  const parts = segments(params);
  return [PREFIX, report, ...(parts.length ? parts : ["all"])].join(":");
}

/** SCAN pattern for all keys of a report type that have these parameters. */
export const familyPattern = (report: string, params: Params = {}): string =>
  `${PREFIX}:${report}:*` + segments(params).map((s) => `${s}*`).join("");

/** Exact check after SCAN's glob (pharmacy=12* also matches pharmacy=123). */
export function inFamily(key: string, report: string, params: Params = {}): boolean {
  const keySegments = key.split(":");
  return key.startsWith(`${PREFIX}:${report}:`) && segments(params).every((s) => keySegments.includes(s));
}
// --8<-- [end:keys]

// --8<-- [start:store]
/** What the caches need from a backend: Redis, memory (running without Redis), or both. */
export interface CacheStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  add(key: string, value: string, ttlMs: number): Promise<boolean>; // set only if absent
  delete(...keys: string[]): Promise<number>;
  scan(pattern: string): AsyncIterable<string>;
}

/** The CacheStore on Redis: GET, SET PX, SET NX PX, UNLINK and SCAN — never KEYS. */
export class RedisStore implements CacheStore {
  readonly client: Redis;
  constructor(client: Redis) {
    this.client = client;
  }
  get(key: string): Promise<string | null> {
    return this.client.get(key);
  }
  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.client.set(key, value, "PX", ttlMs);
  }
  async add(key: string, value: string, ttlMs: number): Promise<boolean> {
    return (await this.client.set(key, value, "PX", ttlMs, "NX")) === "OK";
  }
  async delete(...keys: string[]): Promise<number> {
    return keys.length ? this.client.unlink(...keys) : 0; // UNLINK frees memory off-thread
  }
  async *scan(pattern: string): AsyncIterable<string> {
    // SCAN walks the keyspace in small steps; KEYS would block the server while it reads
    // every key (and is denied to the app's ACL user anyway).
    for await (const keys of this.client.scanStream({ match: pattern, count: 500 })) yield* keys as string[];
  }
}
// --8<-- [end:store]

// --8<-- [start:stats]
/** Counters for this process. Export them to your metrics system; don't INCR per read. */
export class CacheStats {
  hits = 0;
  stale = 0; // served after the TTL while another request reloaded it
  misses = 0;
  loads = 0; // calls to the loader (the database), including after a wait timed out
  tooLarge = 0;

  get hitRatio(): number {
    const served = this.hits + this.stale;
    const total = served + this.misses;
    return total ? served / total : 0;
  }
}
// --8<-- [end:stats]

interface Entry {
  value: unknown;
  fresh: boolean;
}

export interface CacheOptions {
  lockMs?: number; // longest a loader may hold the "I am loading" lock
  waitMs?: number; // longest a request waits for another one's load
  pollMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Cache-aside for reports and analytics, on any CacheStore. */
export class RedisCacheService {
  readonly store: CacheStore;
  readonly stats = new CacheStats();
  readonly lockMs: number;
  readonly waitMs: number;
  readonly pollMs: number;

  constructor(store: CacheStore, { lockMs = 10_000, waitMs = 2_000, pollMs = 25 }: CacheOptions = {}) {
    this.store = store;
    this.lockMs = lockMs;
    this.waitMs = waitMs;
    this.pollMs = pollMs;
  }

  // --8<-- [start:encode]
  private async write(key: string, report: string, value: unknown): Promise<void> {
    const freshMs = Math.round(REPORT_TTL_MS[report]! * (1 - JITTER + Math.random() * 2 * JITTER));
    // Strict JSON (see strictJson): dates, Maps, NaN and the like must be converted by the
    // loader, so a cached report reads back exactly as the fresh one was returned.
    const data = strictJson({ fresh_until: (Date.now() + freshMs) / 1000, value });
    const bytes = Buffer.byteLength(data);
    if (bytes > MAX_VALUE_BYTES) {
      this.stats.tooLarge++;
      log.warn(`not caching ${key}: ${bytes} bytes > ${MAX_VALUE_BYTES}`);
      return;
    }
    await this.store.set(key, data, freshMs + STALE_FOR_MS);
  }

  /** The value and whether it is fresh, or null. An unreadable entry counts as a miss. */
  private async read(key: string): Promise<Entry | null> {
    const data = await this.store.get(key);
    if (data === null) return null;
    try {
      const envelope = JSON.parse(data) as { fresh_until: unknown; value: unknown };
      if (typeof envelope.fresh_until !== "number" || !("value" in envelope)) return null;
      return { value: envelope.value, fresh: Date.now() / 1000 < envelope.fresh_until };
    } catch {
      return null;
    }
  }
  // --8<-- [end:encode]

  // --8<-- [start:get-or-load]
  /** The cached report if fresh; else exactly one caller loads it while others wait
   * (no entry yet) or get the stale entry (expired, within STALE_FOR_MS). */
  async getOrLoad<T>(report: string, params: Params, loader: () => Promise<T> | T): Promise<T> {
    const key = reportKey(report, params);
    const entry = await this.read(key);
    if (entry?.fresh) {
      this.stats.hits++;
      return entry.value as T;
    }
    const lock = `${LOCKS}:${key.slice(PREFIX.length + 1)}`;
    if (await this.store.add(lock, "1", this.lockMs)) {
      // SET NX PX succeeded: we are the one loader
      this.stats.misses++;
      try {
        return await this.load(key, report, loader, entry);
      } finally {
        await this.store.delete(lock);
      }
    }
    if (entry) {
      // someone else is reloading: the stale copy is good enough
      this.stats.stale++;
      return entry.value as T;
    }
    this.stats.misses++; // no entry and someone else is loading it
    const deadline = Date.now() + this.waitMs;
    while (Date.now() < deadline) {
      // wait for the loader's result …
      await sleep(this.pollMs);
      const loaded = await this.read(key);
      if (loaded) return loaded.value as T;
    }
    return this.load(key, report, loader, null); // … or give up waiting and load it ourselves
  }

  private async load<T>(key: string, report: string, loader: () => Promise<T> | T, stale: Entry | null): Promise<T> {
    this.stats.loads++;
    let value: T;
    try {
      value = await loader();
    } catch (error) {
      if (!stale) throw error;
      log.warn(`reloading ${key} failed; serving the stale copy (${String(error)})`);
      this.stats.stale++;
      return stale.value as T;
    }
    await this.write(key, report, value);
    return value;
  }
  // --8<-- [end:get-or-load]

  // --8<-- [start:invalidate]
  /** Drop one report, e.g. after a sale changes today's figures. */
  invalidate(report: string, params: Params): Promise<number> {
    return this.store.delete(reportKey(report, params));
  }

  /** Drop every cached variant of a report type (or of one pharmacy's variants).
   * SCAN-based: it does not block the server, but keys written while it runs may be
   * missed — they carry a TTL, and readers after the change reload anyway. */
  async invalidateFamily(report: string, params: Params = {}): Promise<number> {
    let deleted = 0;
    let batch: string[] = [];
    for await (const key of this.store.scan(familyPattern(report, params))) {
      if (!inFamily(key, report, params)) continue;
      batch.push(key);
      if (batch.length === 500) {
        deleted += await this.store.delete(...batch);
        batch = [];
      }
    }
    return deleted + (await this.store.delete(...batch));
  }
  // --8<-- [end:invalidate]
}

// --8<-- [start:strict-json]
/** JSON.stringify that refuses what JSON cannot carry back unchanged — NaN, Infinity,
 * undefined, functions, BigInt, Dates, Maps, class instances — instead of silently
 * turning it into null, {} or a string. Convert such values in the loader. */
export function strictJson(value: unknown): string {
  const check = (v: unknown, path: string): void => {
    if (v === null || typeof v === "string" || typeof v === "boolean") return;
    if (typeof v === "number") {
      if (!Number.isFinite(v)) throw new TypeError(`${path} is ${v}: not representable in JSON`);
      return;
    }
    if (Array.isArray(v)) return v.forEach((item, i) => check(item, `${path}[${i}]`));
    const proto = typeof v === "object" ? Object.getPrototypeOf(v) : undefined;
    if (proto !== Object.prototype && proto !== null) {
      const kind = typeof v === "object" ? (v as object).constructor?.name : typeof v;
      throw new TypeError(`${path} is ${kind}: convert it to a string, number, array or plain object`);
    }
    for (const [name, item] of Object.entries(v as object)) check(item, `${path}.${name}`);
  };
  check(value, "value");
  return JSON.stringify(value);
}
// --8<-- [end:strict-json]

if (import.meta.main) {
  const cache = new RedisCacheService(new RedisStore(createRedis("cache")));

  const dailySales = async () => {
    await sleep(50); // the database query
    return { pharmacy: 12, date: "2026-11-25", total: "1843.20", orders: 57 };
  };

  const params = { pharmacy: 12, date: "2026-11-25" };
  console.log("key:", reportKey("daily-sales", params));
  for (let i = 0; i < 3; i++) console.log(await cache.getOrLoad("daily-sales", params, dailySales));
  const { loads, hits, misses, hitRatio } = cache.stats;
  console.log(`loads=${loads} hits=${hits} misses=${misses} hit ratio=${hitRatio.toFixed(2)}`);
  console.log("invalidated:", await cache.invalidateFamily("daily-sales", { pharmacy: 12 }));
  (cache.store as RedisStore).client.disconnect();
}
