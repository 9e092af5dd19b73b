/**
 * Running without Redis: an in-memory cache, a circuit breaker, and what must fail loudly.
 *
 * Shown on docs/usage/without-redis.md beside the Python version (snippets/cache/without_redis.py).
 * `CACHE_PROVIDER=memory` selects MemoryStore; otherwise makeStore wraps Redis in a
 * ResilientStore, which serves from memory while Redis is unreachable and goes back to Redis
 * when it answers again. Queues and locks get no such wrapper.
 * Run `node cache/without-redis.ts [--watch SECONDS]` (in snippets/) to see which store your
 * environment selects; with --watch it keeps reading, so you can stop and restart Redis.
 */
import { randomBytes } from "node:crypto";

import { ReplyError, type Redis } from "ioredis";

import { createRedis } from "../config/client.ts";
import { backgroundJobsEnabled, cacheProvider, loadSettings } from "../config/settings.ts";
import { type CacheStore, RedisCacheService, RedisStore, log } from "./redis-cache-service.ts";

// --8<-- [start:memory-store]
/** A bounded, per-process TTL cache with the CacheStore interface.
 *
 * Least recently used entries go first once `maxBytes` is reached. Each process has its own
 * copy: invalidating in one worker does not reach the others — fine for a few minutes of
 * TTL, wrong for anything that must be shared. */
export class MemoryStore implements CacheStore {
  readonly maxBytes: number;
  size = 0; // bytes of keys and values held
  private readonly data = new Map<string, { expires: number; value: string }>(); // oldest use first

  constructor(maxBytes = 64 * 1024 * 1024) {
    this.maxBytes = maxBytes;
  }

  private live(key: string): string | null {
    const item = this.data.get(key);
    if (!item) return null;
    if (item.expires <= performance.now()) {
      this.drop(key);
      return null;
    }
    this.data.delete(key); // re-insert: a Map keeps insertion order, so this marks it recent
    this.data.set(key, item);
    return item.value;
  }

  private drop(key: string): boolean {
    const item = this.data.get(key);
    if (!item) return false;
    this.data.delete(key);
    this.size -= Buffer.byteLength(key) + Buffer.byteLength(item.value);
    return true;
  }

  async get(key: string): Promise<string | null> {
    return this.live(key);
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.drop(key);
    this.data.set(key, { expires: performance.now() + ttlMs, value });
    this.size += Buffer.byteLength(key) + Buffer.byteLength(value);
    while (this.size > this.maxBytes) this.drop(this.data.keys().next().value!); // least recently used
  }

  async add(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.live(key) !== null) return false;
    await this.set(key, value, ttlMs);
    return true;
  }

  async delete(...keys: string[]): Promise<number> {
    return keys.filter((key) => this.drop(key)).length;
  }

  async *scan(pattern: string): AsyncIterable<string> {
    const glob = globToRegExp(pattern);
    for (const key of [...this.data.keys()]) if (glob.test(key) && this.live(key) !== null) yield key;
  }

  clear(): void {
    this.data.clear();
    this.size = 0;
  }
}

/** Redis's MATCH glob (* ? [abc]) as a regular expression. */
function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`, "s");
}
// --8<-- [end:memory-store]

// --8<-- [start:breaker]
type Route = "redis" | "probe" | "fallback";

/** closed: use Redis. open: don't even try, until a backoff delay has passed.
 * half-open: let exactly one call through as a probe; its outcome closes or reopens. */
export class CircuitBreaker {
  state: "closed" | "open" | "half-open" = "closed";
  failures = 0;
  retryAt = 0;
  readonly backoff: (failures: number) => number;
  readonly probeTimeoutMs: number;

  constructor(backoff: (failures: number) => number = equalJitter, probeTimeoutMs = 30_000) {
    this.backoff = backoff; // ms before the next probe
    this.probeTimeoutMs = probeTimeoutMs; // a probe that never reports back is given up
  }

  /** Route one call: "redis" (closed), "probe" (this caller probes) or "fallback". */
  allow(): Route {
    if (this.state === "closed") return "redis";
    if (performance.now() >= this.retryAt) {
      // open and waited, or a probe got lost
      this.state = "half-open";
      this.retryAt = performance.now() + this.probeTimeoutMs;
      return "probe";
    }
    return "fallback";
  }

  failure(error: unknown): void {
    this.failures++;
    if (this.state === "closed") log.warn(`Redis unavailable, serving from memory (${describe(error)})`);
    this.state = "open";
    this.retryAt = performance.now() + this.backoff(this.failures);
  }

  /** Close the circuit; true if this ended an outage. */
  success(): boolean {
    const recovered = this.state !== "closed";
    this.state = "closed";
    this.failures = 0;
    if (recovered) log.info("Redis available again, cache back on Redis");
    return recovered;
  }
}

/** Delays between probes: 0.25–0.5 s, 0.5–1 s, 1–2 s … at most 30 s (half fixed, half random). */
export function equalJitter(failures: number, baseMs = 250, capMs = 30_000): number {
  const half = Math.min(capMs, baseMs * 2 ** failures) / 2;
  return half + Math.random() * half;
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));
// --8<-- [end:breaker]

/** Every item of an async iterable, as an array (Array.fromAsync, before ES2025). */
async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

// --8<-- [start:resilient-store]
/** Is this error "Redis is unreachable"? Connection closed or refused, timeouts, retries
 * exhausted, and the replies that mean "not ready" (LOADING) or "not logged in". Any other
 * reply error (NOPERM, OOM, WRONGTYPE …) means Redis is up and our code or config is wrong. */
export function redisDown(error: unknown): boolean {
  if (!(error instanceof ReplyError)) return true;
  return /^(LOADING|NOAUTH|WRONGPASS|MASTERDOWN)\b/.test((error as Error).message);
}

/** A CacheStore that never rejects because Redis is unreachable.
 *
 * Each call goes to Redis (whose client already retries 3 times with backoff); when that
 * fails the circuit opens, and calls use `fallback` (memory, or null for "always miss")
 * without touching the network until a probe succeeds. Deletions made meanwhile are
 * replayed on Redis at recovery, so an invalidation is not lost in the outage. */
export class ResilientStore implements CacheStore {
  readonly primary: RedisStore;
  readonly fallback: MemoryStore | null;
  readonly breaker: CircuitBreaker;
  readonly maxPending: number;
  pending = new Map<string, "key" | "pattern">(); // invalidations to replay

  constructor(primary: RedisStore, fallback: MemoryStore | null = new MemoryStore(), breaker = new CircuitBreaker(), maxPending = 10_000) {
    this.primary = primary;
    this.fallback = fallback;
    this.breaker = breaker;
    this.maxPending = maxPending;
  }

  private async call<T>(onRedis: () => Promise<T>, onFallback: () => Promise<T>): Promise<T> {
    const route = this.breaker.allow();
    if (route === "fallback") return onFallback();
    let result: T;
    try {
      result = await onRedis();
    } catch (error) {
      if (!redisDown(error)) {
        // Redis answered with an error: it is up; the error is a bug to raise
        if (route === "probe" && this.breaker.success()) await this.recovered();
        throw error;
      }
      this.breaker.failure(error);
      return onFallback();
    }
    if (route === "probe" && this.breaker.success()) await this.recovered();
    return result;
  }

  private remember(value: string, kind: "key" | "pattern"): void {
    if (this.pending.size < this.maxPending) this.pending.set(value, kind);
    else log.warn("too many invalidations during the outage; relying on TTLs");
  }

  private async recovered(): Promise<void> {
    const pending = this.pending;
    this.pending = new Map();
    try {
      for (const [value, kind] of pending) {
        const keys = kind === "key" ? [value] : await collect(this.primary.scan(value));
        await this.primary.delete(...keys);
        pending.delete(value);
      }
    } catch (error) {
      // gone again: keep the rest for the next recovery
      for (const [value, kind] of pending) this.pending.set(value, kind);
      this.breaker.failure(error);
    }
    this.fallback?.clear(); // memory entries may predate invalidations made on Redis
  }

  get(key: string): Promise<string | null> {
    return this.call(
      () => this.primary.get(key),
      async () => (this.fallback ? this.fallback.get(key) : null),
    );
  }

  set(key: string, value: string, ttlMs: number): Promise<void> {
    return this.call(
      () => this.primary.set(key, value, ttlMs),
      async () => this.fallback?.set(key, value, ttlMs),
    );
  }

  add(key: string, value: string, ttlMs: number): Promise<boolean> {
    return this.call(
      () => this.primary.add(key, value, ttlMs),
      async () => (this.fallback ? this.fallback.add(key, value, ttlMs) : true), // no shared lock: load yourself
    );
  }

  delete(...keys: string[]): Promise<number> {
    return this.call(
      () => this.primary.delete(...keys),
      async () => {
        for (const key of keys) this.remember(key, "key");
        return this.fallback ? this.fallback.delete(...keys) : 0;
      },
    );
  }

  async *scan(pattern: string): AsyncIterable<string> {
    yield* await this.call(
      () => collect(this.primary.scan(pattern)),
      async () => {
        this.remember(pattern, "pattern"); // a scan is always for an invalidation
        return this.fallback ? collect(this.fallback.scan(pattern)) : [];
      },
    );
  }
}
// --8<-- [end:resilient-store]

// --8<-- [start:make-store]
// A cache answer later than this is worse than going to the database: the command is
// rejected (and the circuit opens) instead of waiting through reconnects — ioredis would
// otherwise resend a command whose connection keeps dropping, for ever.
export const CACHE_COMMAND_TIMEOUT_MS = 1_000;

/** The cache backend the app uses, chosen by CACHE_PROVIDER (redis by default). */
export function makeStore(env: NodeJS.ProcessEnv = process.env): CacheStore {
  if (cacheProvider(env) === "memory") {
    log.info("Cache provider: memory (CACHE_PROVIDER=memory); Redis is not used for caching");
    return new MemoryStore();
  }
  const client = createRedis("cache", loadSettings(env), { commandTimeout: CACHE_COMMAND_TIMEOUT_MS });
  return new ResilientStore(new RedisStore(client), new MemoryStore());
}
// --8<-- [end:make-store]

// --8<-- [start:fail-loudly]
/** Jobs run only on Redis. Off by choice (DISABLE_BACKGROUND_JOBS=true), or Redis must
 * answer at startup — the rejection here stops the process, by design. */
export async function startBackgroundJobs(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (!backgroundJobsEnabled(env)) {
    log.warn("Background jobs disabled (DISABLE_BACKGROUND_JOBS=true): no reminders");
    return false;
  }
  const client = createRedis("queue", loadSettings(env));
  try {
    await client.ping(); // … then create the BullMQ queues and workers with this connection
  } finally {
    client.disconnect();
  }
  return true;
}

export class LockHeld extends Error {}

const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end";

/** Run `work` on one instance at a time. No fallback: if Redis is unreachable this rejects
 * — a process-local lock would let every instance run it. */
export async function exclusive<T>(client: Redis, name: string, work: () => Promise<T>, ttlMs = 30_000): Promise<T> {
  const key = `pharmacare:lock:${name}`;
  const token = randomBytes(16).toString("hex");
  if ((await client.set(key, token, "PX", ttlMs, "NX")) !== "OK") throw new LockHeld(name);
  try {
    return await work();
  } finally {
    await client.eval(RELEASE, 1, key, token); // only our own lock, even if it expired meanwhile
  }
}
// --8<-- [end:fail-loudly]

if (import.meta.main) {
  // --watch SECONDS: keep reading (Ctrl-C ends it), so you can stop and restart Redis
  const at = process.argv.indexOf("--watch");
  const watchMs = at > 0 ? Number(process.argv[at + 1]) * 1000 : 0;
  const store = makeStore();
  console.log("cache store:", store.constructor.name);
  const cache = new RedisCacheService(store);
  const params = { pharmacy: 12 };
  const load = () => ({ in_stock: 412 });
  for (let i = 0; i < 2; i++) console.log(JSON.stringify(await cache.getOrLoad("inventory-levels", params, load)));
  console.log(`hits=${cache.stats.hits} loads=${cache.stats.loads}`);
  let stop = false;
  process.once("SIGINT", () => (stop = true)); // Ctrl-C ends the watch early
  const deadline = Date.now() + watchMs;
  while (!stop && Date.now() < deadline) {
    const value = await cache.getOrLoad("inventory-levels", params, load);
    const circuit = store instanceof ResilientStore ? store.breaker.state : "none";
    console.log(`${new Date().toISOString().slice(11, 19)} ${JSON.stringify(value)} circuit=${circuit}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  if (store instanceof ResilientStore) store.primary.client.disconnect();
  try {
    console.log("background jobs:", (await startBackgroundJobs()) ? "on" : "off");
  } catch (error) {
    console.error(`background jobs: Redis unavailable at startup (${describe(error)})`);
    process.exitCode = 1; // the platform restarts the process; its health check shows why
  }
}
