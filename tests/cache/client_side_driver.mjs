// Test driver (not shown on the site): one long-lived reader through the TypeScript
// client-side cache (snippets/cache/client-side.ts), for tests/cache/test_client_side_ts.py.
// Usage: node client_side_driver.mjs MAX_ENTRIES TTL_MS; then one JSON command per line in,
// one JSON line out. The server comes from REDIS_URL, exactly as the app reads it.
import { createInterface } from "node:readline";
import { localReportCache } from "../../snippets/cache/client-side.ts";
import { loadSettings } from "../../snippets/config/settings.ts";

// stdout carries the answers only: the clients' "connected" lines go to stderr.
console.log = console.info = console.warn = console.error;
const [maxEntries, ttl] = process.argv.slice(2).map(Number);
const { cache, store } = await localReportCache(loadSettings(), maxEntries, ttl);
const PARAMS = { pharmacy: 12, date: "2026-11-25" };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function state(extra = {}) {
  const stats = store.tracked.cache.stats();
  return { hits: stats.hitCount, misses: stats.missCount, evictions: stats.evictionCount, size: store.tracked.cache.size(), ...extra };
}

for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line);
  let answer;
  try {
    if (command.op === "read") {
      await sleep(command.idleMs ?? 0); // let the event loop read pushes (and reconnect)
      const value = await cache.getOrLoad("daily-sales", PARAMS, async () => command.value);
      answer = state({ value });
    } else if (command.op === "many") {
      for (let p = 0; p < command.n; p++) {
        for (let i = 0; i < 2; i++) await cache.getOrLoad("monthly-revenue", { pharmacy: p }, async () => ({ n: p }));
      }
      answer = state({ dropped: await cache.invalidateFamily("monthly-revenue") });
    } else {
      await store.close();
      answer = state({ closed: true });
    }
  } catch (error) {
    answer = state({ error: String(error) });
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
  if (answer.closed) break;
}
