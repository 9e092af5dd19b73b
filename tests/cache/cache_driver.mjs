// Test driver (not shown on the site): runs one scenario of the TypeScript caches
// (snippets/cache/*.ts) and prints its observations as one JSON line, for
// tests/cache/test_*_ts.py. Usage: node cache_driver.mjs SCENARIO [JSON-ARG]
// The server comes from REDIS_URL, exactly as the app reads it.
import { createRedis } from "../../snippets/config/client.ts";
import * as rc from "../../snippets/cache/redis-cache-service.ts";
import * as qc from "../../snippets/cache/query-cache.ts";
import * as wr from "../../snippets/cache/without-redis.ts";
import { ReplyError } from "../../snippets/node_modules/ioredis/built/index.js";

const [scenario, rawArg] = process.argv.slice(2);
const arg = rawArg ? JSON.parse(rawArg) : {};
const PARAMS = { pharmacy: 12, date: "2026-11-25" };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A stand-in for the database query: counts calls; may fail, or wait for a gate. */
function loader(value = { total: "1843.20", orders: 57 }, { gate, error } = {}) {
  const fn = async () => {
    fn.calls++;
    if (gate) await gate;
    if (error) throw error;
    return value;
  };
  fn.calls = 0;
  return fn;
}

function gate() {
  let open;
  const promise = new Promise((resolve) => (open = resolve));
  return { promise, open };
}

async function errorOf(promise) {
  try {
    await promise;
    return null;
  } catch (error) {
    return { name: error.constructor.name, message: error.message, id: error.id };
  }
}

/** Print a step's JSON and wait for the test to answer on stdin (it kills, restarts …). */
const lines = (await import("node:readline")).createInterface({ input: process.stdin });
const answers = lines[Symbol.asyncIterator]();
async function ask(step, data = {}) {
  console.log(JSON.stringify({ step, ...data }));
  await answers.next();
}

const stats = (s) => ({ hits: s.hits, stale: s.stale, misses: s.misses, loads: s.loads, tooLarge: s.tooLarge, hitRatio: s.hitRatio });
let client;
const redisCache = (options) => {
  client ??= createRedis("cache");
  return new rc.RedisCacheService(new rc.RedisStore(client), options);
};

const scenarios = {
  // -- offline: keys, stats, strict JSON
  keys: async () => ({
    keys: arg.map(([report, params]) => rc.reportKey(report, params)),
    unknown: await errorOf((async () => rc.reportKey("no-such-report", {}))()),
    family: rc.familyPattern("daily-sales"),
    familyParams: rc.familyPattern("daily-sales", { pharmacy: 12 }),
    inFamily: rc.inFamily(rc.reportKey("daily-sales", PARAMS), "daily-sales", { pharmacy: 12 }),
    notInFamily: rc.inFamily(rc.reportKey("daily-sales", { ...PARAMS, pharmacy: 123 }), "daily-sales", { pharmacy: 12 }),
    otherReport: rc.inFamily(rc.reportKey("daily-sales", PARAMS), "daily-sales-x", {}),
    ttl: rc.REPORT_TTL_MS,
    jitter: rc.JITTER,
    noTraffic: new rc.CacheStats().hitRatio,
    ratio: Object.assign(new rc.CacheStats(), { hits: 3, stale: 1, misses: 4 }).hitRatio,
  }),
  strict: async () => {
    class Row {}
    const refused = { date: new Date(0), map: new Map(), nan: NaN, inf: Infinity, undef: undefined, fn: () => 1, big: 1n, row: new Row() };
    return {
      refused: Object.fromEntries(Object.entries(refused).map(([k, v]) => [k, (() => { try { rc.strictJson({ nested: [v] }); return null; } catch (e) { return `${e.constructor.name}: ${e.message}`; } })()])),
      accepted: rc.strictJson({ a: [1, 2.5, "x", null, true, { é: "ü" }], o: Object.create(null) }),
    };
  },
  // -- on a server
  aside: async () => {
    const cache = redisCache();
    const load = loader();
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await cache.getOrLoad("daily-sales", PARAMS, load));
    const clientInfo = await client.call("CLIENT", "INFO");
    return { results, calls: load.calls, stats: stats(cache.stats), key: rc.reportKey("daily-sales", PARAMS), clientInfo };
  },
  jitter: async () => {
    const cache = redisCache();
    for (let p = 0; p < 40; p++) await cache.getOrLoad("monthly-revenue", { pharmacy: p }, loader());
    return { keys: Array.from({ length: 40 }, (_, p) => rc.reportKey("monthly-revenue", { pharmacy: p })) };
  },
  size: async () => {
    const cache = redisCache();
    const huge = { rows: Array(600).fill("x".repeat(1000)) }; // ~600 KB of JSON
    const load = loader(huge);
    const same = [];
    for (let i = 0; i < 2; i++) same.push((await cache.getOrLoad("analytics-dashboard", {}, load)) === huge);
    return { same, calls: load.calls, stats: stats(cache.stats) };
  },
  refuse: async () => {
    const cache = redisCache();
    return {
      date: await errorOf(cache.getOrLoad("daily-sales", PARAMS, loader({ when: new Date() }))),
      nan: await errorOf(cache.getOrLoad("daily-sales", PARAMS, loader({ total: NaN }))),
      undef: await errorOf(cache.getOrLoad("daily-sales", PARAMS, async () => undefined)),
    };
  },
  invalidate: async () => {
    const cache = redisCache();
    const writes = [];
    for (const pharmacy of [12, 123]) for (let day = 1; day <= 600; day++) writes.push(cache.getOrLoad("daily-sales", { pharmacy, day }, loader()));
    await Promise.all(writes);
    await cache.getOrLoad("monthly-revenue", { pharmacy: 12 }, loader());
    return {
      one: await cache.invalidate("daily-sales", { pharmacy: 123, day: 1 }),
      again: await cache.invalidate("daily-sales", { pharmacy: 123, day: 1 }),
      family: await cache.invalidateFamily("daily-sales", { pharmacy: 12 }),
      rest: await (async () => {
        const left = await Array.fromAsync(cache.store.scan("pharmacare:cache:v1:report:*"));
        return left.length;
      })(),
      all: await cache.invalidateFamily("daily-sales"),
      keysDenied: await errorOf(client.keys("pharmacare:*")),
    };
  },
  stampede: async () => {
    const cache = redisCache({ pollMs: 10, waitMs: 30_000 });
    const { promise, open } = gate();
    const load = loader(undefined, { gate: promise }); // the query runs until all 20 arrived
    const requests = Array.from({ length: 20 }, () => cache.getOrLoad("appointment-stats", PARAMS, load));
    while (cache.stats.misses < 20) await sleep(5);
    open();
    const results = await Promise.all(requests);
    return { same: results.every((r) => JSON.stringify(r) === JSON.stringify(results[0])), calls: load.calls, stats: stats(cache.stats) };
  },
  stale: async () => {
    const cache = redisCache();
    const key = rc.reportKey("inventory-levels", PARAMS);
    await cache.store.set(key, JSON.stringify({ fresh_until: Date.now() / 1000 - 1, value: { in_stock: 1 } }), 60_000);
    const { promise, open } = gate();
    const load = loader({ in_stock: 2 }, { gate: promise });
    const reload = cache.getOrLoad("inventory-levels", PARAMS, load);
    while (load.calls === 0) await sleep(2);
    const others = [];
    for (let i = 0; i < 5; i++) others.push(await cache.getOrLoad("inventory-levels", PARAMS, load));
    open();
    return { others, reloaded: await reload, calls: load.calls, stats: stats(cache.stats), after: await cache.getOrLoad("inventory-levels", PARAMS, load) };
  },
  waiter: async () => {
    const cache = redisCache({ waitMs: 100, pollMs: 10 });
    const lock = `${rc.LOCKS}:daily-sales:date=2026-11-25:pharmacy=12`;
    const taken = await cache.store.add(lock, "1", 60_000); // a loader that crashed holding it
    const load = loader();
    return { taken, value: await cache.getOrLoad("daily-sales", PARAMS, load), calls: load.calls };
  },
  failures: async () => {
    const cache = redisCache();
    const key = rc.reportKey("daily-sales", PARAMS);
    await cache.store.set(key, JSON.stringify({ fresh_until: Date.now() / 1000 - 1, value: { total: "1" } }), 60_000);
    const served = await cache.getOrLoad("daily-sales", PARAMS, loader(undefined, { error: new Error("db down") }));
    await cache.invalidate("daily-sales", PARAMS);
    const first = await errorOf(cache.getOrLoad("daily-sales", PARAMS, loader(undefined, { error: new Error("db down") })));
    return { served, first };
  },
  unreadable: async () => {
    const cache = redisCache();
    const key = rc.reportKey("daily-sales", PARAMS);
    const calls = [];
    for (const bad of ["not json", "[1]", '{"value": 1}', "null"]) {
      await cache.store.set(key, bad, 60_000);
      const load = loader();
      await cache.getOrLoad("daily-sales", PARAMS, load);
      calls.push(load.calls);
    }
    return { calls };
  },

  // -- the query cache
  qkeys: async () => {
    const k = (args) => qc.queryKey("stock", args);
    return {
      key: k([12, true]),
      reordered: k([{ b: 2, a: { y: 1, x: 2 } }]) === k([{ a: { x: 2, y: 1 }, b: 2 }]),
      string: k([12]) === k(["12"]),
      other: k([12]) === qc.queryKey("other", [12]),
      refused: await Promise.all([[new Set([1])], [new Date(0)], [undefined], [NaN], [{ a: undefined }]].map((a) => errorOf((async () => k(a))()))),
      badNames: await Promise.all(["a:b", "a*", "", "a b"].map((n) => errorOf((async () => new qc.QueryCache(new wr.MemoryStore()).cached(n, () => 1, { ttlMs: 1 }))()))),
    };
  },
  query: async () => {
    const store = arg.memory ? new wr.MemoryStore() : new rc.RedisStore((client ??= createRedis("cache")));
    const queryCache = new qc.QueryCache(store);
    const db = new Map(Array.from({ length: 10 }, (_, i) => [i + 1, [{ drug: "amoxicillin", quantity: (i + 1) % 5 }, { drug: "ibuprofen", quantity: (i + 1) % 5 }]]));
    const calls = [];
    const pharmacyStock = queryCache.cached(
      "pharmacy-stock",
      async (pharmacyId, inStockOnly = true) => {
        calls.push(pharmacyId);
        return db.get(pharmacyId).filter((row) => row.quantity >= (inStockOnly ? 1 : 0));
      },
      { ttlMs: 5 * 60_000, keyArgs: (pharmacyId, inStockOnly = true) => [pharmacyId, inStockOnly] },
    );
    const out = {};
    const requests = Array.from({ length: 500 }, (_, i) => 1 + ((i * 7) % 10));
    const results = [];
    for (const p of requests) results.push(await pharmacyStock(p));
    const key = qc.queryKey("pharmacy-stock", [1, true]);
    out.load = { calls: calls.length, first: results[0], stats: stats(pharmacyStock.stats), key, ttl: arg.memory ? null : await client.pttl(key) };
    out.defaults = (await pharmacyStock(1, true)) && calls.length; // same entry as pharmacyStock(1)
    calls.length = 0;
    out.cached = (await pharmacyStock(2)).length;
    db.get(2).forEach((row) => (row.quantity = 0));
    out.stillCached = (await pharmacyStock(2)).length; // the write is not seen yet
    out.fresh = await pharmacyStock.fresh(2); // bypass reads the database and refreshes the cache
    out.afterFresh = [await pharmacyStock(2), [...calls]];
    db.get(2).forEach((row) => (row.quantity = 9));
    out.invalidated = await pharmacyStock.invalidate(2, true); // the defaults name the same entry
    out.afterInvalidate = [(await pharmacyStock(2)).length, [...calls]];
    for (let p = 1; p <= 10; p++) await pharmacyStock(p, false);
    out.all = await pharmacyStock.invalidateAll();
    out.allAgain = await pharmacyStock.invalidateAll();
    out.uncached = (await pharmacyStock.uncached(3)).length;
    return out;
  },
  qvalues: async () => {
    const queryCache = new qc.QueryCache(new rc.RedisStore((client ??= createRedis("cache"))));
    const calls = [];
    const maybe = queryCache.cached("maybe", async (n) => {
      calls.push(n);
      return n === 0 ? null : n === 1 ? "x".repeat(600_000) : n === 2 ? { when: new Date(0) } : n === 3 ? undefined : arg.value;
    }, { ttlMs: 30_000 });
    const out = {};
    out.none = [await maybe(0), await maybe(0), [...calls]];
    out.large = [(await maybe(1)).length, (await maybe(1)).length, [...calls], maybe.stats.tooLarge];
    out.date = await errorOf(maybe(2));
    out.undef = await errorOf(maybe(3));
    out.roundTrip = [await maybe(4), await maybe(4), calls.filter((n) => n === 4).length];
    return out;
  },
  qunreadable: async () => {
    const store = new rc.RedisStore((client ??= createRedis("cache")));
    const queryCache = new qc.QueryCache(store);
    let calls = 0;
    const f = queryCache.cached("stock-level", async (n) => (calls++, { n }), { ttlMs: 60_000 });
    const key = qc.queryKey("stock-level", [5]);
    const seen = [];
    for (const bad of ["not json", '"abc"', "{}", "[1, 2]", "[]"]) {
      await store.set(key, bad, 60_000);
      seen.push([await f(5), calls]);
    }
    return { seen, stored: await store.get(key), stats: stats(f.stats) };
  },
  qforeign: async () => {
    // invalidateAll("a") must leave keys it does not own: names are exact, hashes too
    const store = new rc.RedisStore((client ??= createRedis("cache")));
    const f = new qc.QueryCache(store).cached("a", async (n) => n, { ttlMs: 60_000 });
    await f(1);
    await f(2);
    return { removed: await f.invalidateAll() };
  },

  // -- running without Redis
  memory: async () => {
    const out = {};
    const store = new wr.MemoryStore();
    await store.set("a", "1", 50);
    await store.set("b", "2", 60_000);
    out.before = await store.get("a");
    await sleep(60);
    out.expired = [await store.get("a"), await store.get("b"), await store.get("never")];
    const small = new wr.MemoryStore(100);
    for (const name of "abcde") await small.set(name, "x".repeat(19), 60_000); // 20 bytes each: full
    out.full = small.size;
    await small.get("a"); // "a" is now the most recently used
    await small.set("f", "x".repeat(19), 60_000);
    out.lru = [await small.get("b"), await small.get("a"), small.size];
    await small.set("a", "y".repeat(9), 60_000); // replacing does not count it twice
    out.replaced = small.size;
    out.add = [await store.add("lock", "1", 60_000), await store.add("lock", "2", 60_000)];
    for (const key of ["pharmacare:x:1", "pharmacare:x:2", "pharmacare:y:1", "pharmacare:x.(1)"]) await store.set(key, "1", 60_000);
    await store.set("pharmacare:x:gone", "1", 1);
    await sleep(5);
    out.scan = (await Array.fromAsync(store.scan("pharmacare:x:*"))).sort();
    out.scanClass = (await Array.fromAsync(store.scan("pharmacare:[xy]:?"))).sort();
    out.deleted = await store.delete("pharmacare:x:1", "missing");
    store.clear();
    out.cleared = [store.size, await store.get("pharmacare:y:1")];
    const cache = new rc.RedisCacheService(new wr.MemoryStore());
    let calls = 0;
    for (let i = 0; i < 3; i++) await cache.getOrLoad("daily-sales", { pharmacy: 1 }, () => (calls++, { t: 1 }));
    await cache.getOrLoad("daily-sales", { pharmacy: 2 }, () => ({ t: 2 }));
    out.cache = [calls, cache.stats.hits, await cache.invalidateFamily("daily-sales"), await cache.invalidate("daily-sales", { pharmacy: 1 })];
    return out;
  },
  breaker: async () => {
    const out = {};
    const breaker = new wr.CircuitBreaker(() => 50);
    out.steps = [breaker.allow()];
    breaker.failure(new Error("refused"));
    out.steps.push(breaker.allow());
    await sleep(60);
    out.steps.push(breaker.allow(), breaker.allow()); // one probe at a time
    breaker.failure(new Error("still refused"));
    out.steps.push(breaker.state, breaker.failures);
    await sleep(60);
    out.steps.push(breaker.allow(), breaker.success(), breaker.success(), breaker.allow());
    const lost = new wr.CircuitBreaker(() => 0, 50);
    lost.failure(new Error("refused"));
    out.lost = [lost.allow(), lost.allow()]; // … and that caller hangs, or dies without reporting
    await sleep(60);
    out.lost.push(lost.allow()); // the circuit does not stay half-open for ever
    out.delays = [1, 2, 3, 10].map((n) => wr.equalJitter(n));
    const replies = ["LOADING Redis is loading the dataset in memory", "NOPERM no permissions", "OOM command not allowed"];
    out.down = [new Error("Connection is closed."), ...replies.map((m) => new ReplyError(m))].map(wr.redisDown);
    return out;
  },
  provider: async () => {
    const memory = wr.makeStore({ CACHE_PROVIDER: " Memory " });
    const redis = wr.makeStore({ CACHE_PROVIDER: "", REDIS_URL: "redis://127.0.0.1:1/0" });
    redis.primary.client.disconnect();
    return {
      memory: memory.constructor.name,
      redis: [redis.constructor.name, redis.fallback.constructor.name],
      typo: await errorOf((async () => wr.makeStore({ CACHE_PROVIDER: "memcached" }))()),
    };
  },
  fault: async () => {
    const store = wr.makeStore();
    store.breaker.backoff = () => 100; // production: 0.25 s doubling to 30 s
    const cache = new rc.RedisCacheService(store, { waitMs: 200, pollMs: 10 });
    const errors = [];
    let done = 0;
    let stop = false;
    const caller = async (offset) => {
      for (let i = offset; !stop; i++) {
        const params = { pharmacy: i % 40 };
        try {
          const value = await cache.getOrLoad("daily-sales", params, async () => ({ ...params }));
          if (value.pharmacy !== params.pharmacy) errors.push(`wrong value ${JSON.stringify(value)}`);
          if (i % 9 === 0) await cache.invalidate("daily-sales", params);
        } catch (error) {
          errors.push(String(error)); // anything at all reaching a caller fails the test
        }
        done++;
        await new Promise((resolve) => setImmediate(resolve)); // let timers and I/O run
      }
    };
    const report = setInterval(() => console.log(JSON.stringify({ done, state: store.breaker.state, errors: errors.length })), 50);
    const callers = [0, 10, 20, 30].map(caller);
    await ask("running");
    stop = true;
    await Promise.all(callers);
    clearInterval(report);
    store.primary.client.disconnect();
    return { final: true, done, errors: errors.slice(0, 5), errorCount: errors.length };
  },
  replay: async () => {
    const store = wr.makeStore();
    store.breaker.backoff = () => 100;
    const cache = new rc.RedisCacheService(store);
    for (const pharmacy of [1, 2, 3]) {
      await cache.getOrLoad("daily-sales", { pharmacy }, () => ({ t: 1 }));
      await cache.getOrLoad("monthly-revenue", { pharmacy }, () => ({ t: 1 }));
    }
    await ask("filled"); // … the test kills the server
    await cache.invalidate("daily-sales", { pharmacy: 1 }); // a sale happened while Redis was down
    await cache.invalidateFamily("monthly-revenue");
    await ask("invalidated", { state: store.breaker.state, pending: [...store.pending.keys()] }); // … restarts it
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !(await cache.getOrLoad("daily-sales", { pharmacy: 2 }, () => ({ t: 2 })) && store.breaker.state === "closed")) await sleep(50);
    store.primary.client.disconnect();
    return { state: store.breaker.state, pending: store.pending.size };
  },
  replayFails: async () => {
    // The replay of a long key's UNLINK is dropped by the test's front (a short GET is not).
    const client = createRedis("cache", undefined, { commandTimeout: wr.CACHE_COMMAND_TIMEOUT_MS });
    const store = new wr.ResilientStore(new rc.RedisStore(client), new wr.MemoryStore(), new wr.CircuitBreaker(() => 100));
    const longKey = "pharmacare:cache:v1:report:daily-sales:" + "x".repeat(1000);
    store.breaker.failure(new Error("simulated outage"));
    await store.delete(longKey); // recorded while the circuit is open
    await sleep(150);
    const probe = await store.get("pharmacare:cache:v1:probe"); // the probe succeeds …
    store.primary.client.disconnect();
    return { probe, state: store.breaker.state, failures: store.breaker.failures, pending: [...store.pending.keys()] };
  },
  tooMany: async () => {
    const store = new wr.ResilientStore(new rc.RedisStore(createRedis("cache", undefined, { lazyConnect: true })), null, undefined, 1);
    store.breaker.failure(new Error("simulated outage"));
    await store.delete("pharmacare:a", "pharmacare:b");
    return { pending: store.pending.size };
  },
  noFallback: async () => {
    const store = new wr.ResilientStore(new rc.RedisStore(createRedis("cache")), null, new wr.CircuitBreaker(() => 100));
    const out = [await store.get("pharmacare:k")];
    await store.set("pharmacare:k", "v", 1000);
    out.push(await store.get("pharmacare:k"), await store.add("pharmacare:lock", "1", 1000), await store.delete("pharmacare:k"));
    out.push(await Array.fromAsync(store.scan("pharmacare:*")));
    out.push(await new rc.RedisCacheService(store).getOrLoad("daily-sales", {}, () => ({ t: 1 })));
    store.primary.client.disconnect();
    return { out, state: store.breaker.state };
  },
  locks: async () => {
    const queue = createRedis("queue");
    const out = {};
    out.ran = await wr.exclusive(queue, "send-reminders", async () => {
      out.nested = await errorOf(wr.exclusive(queue, "send-reminders", async () => "ran while held"));
      await queue.set("pharmacare:lock:send-reminders", "someone-else"); // ours expired, theirs now
      return "ran";
    });
    out.theirs = await queue.get("pharmacare:lock:send-reminders"); // not released by us
    await queue.del("pharmacare:lock:send-reminders");
    out.jobs = await wr.startBackgroundJobs({ REDIS_URL: process.env.REDIS_URL });
    out.jobsOff = await wr.startBackgroundJobs({ DISABLE_BACKGROUND_JOBS: "true" });
    queue.disconnect();
    return out;
  },
  loudDown: async () => {
    // the server is down: the cache degrades, jobs and locks refuse
    const store = wr.makeStore();
    const cache = new rc.RedisCacheService(store);
    const queue = createRedis("queue");
    let ran = false;
    const out = {
      cache: await cache.getOrLoad("daily-sales", {}, () => ({ t: 1 })),
      jobs: await errorOf(wr.startBackgroundJobs()),
      lock: await errorOf(wr.exclusive(queue, "send-reminders", async () => (ran = true))),
    };
    store.primary.client.disconnect();
    queue.disconnect();
    return { ...out, ran };
  },
  replyErrors: async () => {
    const store = wr.makeStore();
    const out = { noperm: await errorOf(store.get("not-our-prefix:key")), state: store.breaker.state };
    store.breaker.failure(new Error("simulated outage"));
    store.breaker.retryAt = 0; // due for a probe
    out.probe = await errorOf(store.get("not-our-prefix:key")); // Redis answers, with an error
    out.after = store.breaker.state;
    if (arg.oom) {
      out.oom = await errorOf((async () => {
        for (let n = 0; n < 100; n++) await store.set(`pharmacare:cache:v1:fill:${n}`, "x".repeat(100_000), 60_000);
      })());
      out.oomState = store.breaker.state;
    }
    store.primary.client.disconnect();
    return out;
  },
  read: async () => {
    // read what another process (Python) wrote, without loading
    const cache = redisCache();
    const load = loader({ from: "node" });
    return { value: await cache.getOrLoad(arg.report, arg.params, load), calls: load.calls };
  },
  write: async () => {
    const cache = redisCache();
    return { value: await cache.getOrLoad(arg.report, arg.params, loader(arg.value)) };
  },
};

const result = await scenarios[scenario]();
console.log(JSON.stringify(result));
client?.disconnect();
lines.close();
