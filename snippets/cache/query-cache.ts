/**
 * Query & response caching: a wrapper that memoises database queries and API calls.
 *
 * Shown on docs/usage/query-cache.md beside the Python decorator (snippets/cache/query_cache.py);
 * the role of the app's `utils/performanceOptimization.ts`. Same key shape and invalidation as
 * the Python side. Run `node cache/query-cache.ts` (in snippets/) to replay 1,000 requests
 * against an in-memory "database" and count how many reach it.
 */
import { createHash } from "node:crypto";

import { CacheStats, type CacheStore, KEY_VERSION, MAX_VALUE_BYTES, log, strictJson } from "./redis-cache-service.ts";
import { makeStore } from "./without-redis.ts";

// --8<-- [start:key]
const QUERY_PREFIX = `pharmacare:cache:${KEY_VERSION}:query`;
const NAME = /^[A-Za-z0-9][-A-Za-z0-9_.]*$/; // no ":" and no SCAN glob characters

/** pharmacare:cache:v1:query:<name>:<hash of the arguments>.
 *
 * The arguments are hashed as canonical JSON (object keys sorted), so { a: 1, b: 2 } and
 * { b: 2, a: 1 } give one key, while 12 and "12" do not. They must be JSON: a Date, Map,
 * Set, class instance, undefined or NaN throws TypeError instead of being silently turned
 * into something that may differ between calls or processes. */
export function queryKey(name: string, args: readonly unknown[]): string {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (value === null || typeof value !== "object" || Object.getPrototypeOf(value) !== Object.prototype) {
      return value; // strictJson below accepts plain objects only: a Date or Set throws there
    }
    const sorted = Object.keys(value).sort();
    return Object.fromEntries(sorted.map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  };
  const blob = strictJson(canonical(args)); // throws TypeError for anything that is not JSON
  return `${QUERY_PREFIX}:${name}:${createHash("sha256").update(blob).digest("hex").slice(0, 32)}`;
}
// --8<-- [end:key]

// --8<-- [start:wrapper]
export interface CachedFunction<A extends unknown[], R> {
  (...args: A): Promise<R>;
  /** Bypass: skip the cached copy, call the function, store the new result. */
  fresh(...args: A): Promise<R>;
  /** Drop the cached result for these arguments. */
  invalidate(...args: A): Promise<number>;
  /** Drop every cached result of this function (SCAN, never KEYS). */
  invalidateAll(): Promise<number>;
  readonly stats: CacheStats;
  readonly uncached: (...args: A) => Promise<R> | R;
}

export interface CachedOptions<A extends unknown[]> {
  ttlMs: number;
  /** What identifies an entry, from the call's arguments; apply defaults here so that
   * f(12) and f(12, true) share one entry. The arguments themselves by default. */
  keyArgs?: (...args: A) => unknown[];
}

/** A stored entry is a one-element JSON array; anything else (hand-edited, another
 * version's format) is unreadable: null, and the caller treats it as a miss. */
function parse(data: string): [unknown] | null {
  try {
    const entry: unknown = JSON.parse(data);
    return Array.isArray(entry) && entry.length === 1 ? (entry as [unknown]) : null;
  } catch {
    return null;
  }
}

/** `queryCache.cached("name", fn, { ttlMs })` memoises a function's JSON result. */
export class QueryCache {
  readonly store: CacheStore;
  constructor(store: CacheStore) {
    this.store = store;
  }

  cached<A extends unknown[], R>(name: string, fn: (...args: A) => Promise<R> | R, options: CachedOptions<A>): CachedFunction<A, R> {
    if (!NAME.test(name)) throw new TypeError(`cache name "${name}": letters, digits, - _ . only`);
    const { ttlMs, keyArgs = (...args: A) => args } = options;
    const { store } = this;
    const stats = new CacheStats();
    const keyOf = (args: A) => queryKey(name, keyArgs(...args));

    const callAndStore = async (key: string, args: A): Promise<R> => {
      stats.loads++;
      const value = await fn(...args);
      // Wrapped in an array so every JSON value, null included, is one stored text;
      // strictJson refuses undefined, Dates, Maps … (return null for "not found").
      const data = strictJson([value]);
      if (Buffer.byteLength(data) <= MAX_VALUE_BYTES) await store.set(key, data, ttlMs);
      else stats.tooLarge++;
      return value;
    };

    const wrapper = async (...args: A): Promise<R> => {
      const key = keyOf(args);
      const data = await store.get(key);
      if (data !== null) {
        const entry = parse(data);
        if (entry) {
          stats.hits++;
          return entry[0] as R;
        }
        log.warn(`unreadable cache entry ${key}: treated as a miss`);
      }
      stats.misses++;
      return callAndStore(key, args);
    };

    const own = new RegExp(`^${QUERY_PREFIX}:${name.replace(/\./g, "\\.")}:[0-9a-f]{32}$`);
    return Object.assign(wrapper, {
      fresh: (...args: A) => callAndStore(keyOf(args), args),
      invalidate: (...args: A) => store.delete(keyOf(args)),
      invalidateAll: async () => {
        const keys: string[] = [];
        for await (const key of store.scan(`${QUERY_PREFIX}:${name}:*`)) if (own.test(key)) keys.push(key);
        return store.delete(...keys);
      },
      stats,
      uncached: fn,
    });
  }
}
// --8<-- [end:wrapper]

if (import.meta.main) {
  // A small "database": the stock of 20 pharmacies, and a counter of the queries it answers.
  const stock = new Map<number, { drug: string; quantity: number }[]>();
  for (let p = 1; p <= 20; p++) stock.set(p, ["amoxicillin", "ibuprofen"].map((drug) => ({ drug, quantity: (p * 7 + drug.length) % 50 })));
  let dbCalls = 0;

  // --8<-- [start:usage]
  const queryCache = new QueryCache(makeStore());

  const pharmacyStock = queryCache.cached(
    "pharmacy-stock",
    async (pharmacyId: number, inStockOnly = true) => {
      dbCalls++; // only for counting the queries in this demo
      const rows = stock.get(pharmacyId) ?? []; // SELECT drug, quantity FROM stock WHERE …
      return rows.filter((row) => row.quantity >= (inStockOnly ? 1 : 0));
    },
    { ttlMs: 5 * 60_000, keyArgs: (pharmacyId, inStockOnly = true) => [pharmacyId, inStockOnly] },
  );
  // --8<-- [end:usage]

  await pharmacyStock.invalidateAll(); // start from an empty cache for a clean count
  let seed = 7; // a fixed pseudo-random sequence of 1,000 requests over 20 pharmacies
  const requests = Array.from({ length: 1000 }, () => ((seed = (seed * 48271) % 2147483647) % 20) + 1);
  for (const pharmacy of requests) await pharmacyStock(pharmacy);
  const { hitRatio } = pharmacyStock.stats;
  const removed = (100 * (1 - dbCalls / requests.length)).toFixed(1);
  console.log(`requests: ${requests.length}, database queries: ${dbCalls}, load removed: ${removed}%, hit ratio: ${(100 * hitRatio).toFixed(1)}%`);
  stock.set(3, []); // UPDATE stock SET quantity = 0 WHERE pharmacy = 3
  await pharmacyStock.invalidate(3); // after a write: the next read goes to the database
  console.log(`pharmacy 3 after invalidate: ${JSON.stringify(await pharmacyStock(3))} (database queries: ${dbCalls})`);
  process.exit(0); // closes the cache's Redis connection, if any
}
