// `make bench` (tools/bench/peers.py): the TypeScript report cache side by side with
// cache-manager 7 on a Keyv Redis store (@keyv/redis), the usual Node choice. Same workload
// as the Python peers: hits/s on one cached ~1 KB report, 50 concurrent misses on one key
// from 5 instances (loader calls), and whether another instance's delete is seen.
// Usage: node tools/bench/peers_node.mjs N; the server comes from REDIS_URL. One JSON line out.
import { createCache } from "../../snippets/node_modules/cache-manager/dist/index.mjs";
import KeyvRedis from "../../snippets/node_modules/@keyv/redis/dist/index.js";
import { Keyv } from "../../snippets/node_modules/keyv/dist/index.js";
import { createRedis } from "../../snippets/config/client.ts";
import { RedisCacheService, RedisStore } from "../../snippets/cache/redis-cache-service.ts";

console.log = console.info = console.warn = console.error; // stdout: the JSON line only
const n = Number(process.argv[2] ?? 20000);
const url = process.env.REDIS_URL;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const value = { rows: "x".repeat(960) };
const clients = [];

function ours() {
  const client = createRedis("cache");
  clients.push({ close: () => client.quit() });
  return new RedisCacheService(new RedisStore(client));
}
function peer() {
  const keyv = new Keyv({ store: new KeyvRedis(url), namespace: "pharmacare:peer-node" });
  const cache = createCache({ stores: [keyv] });
  clients.push({ close: () => cache.disconnect() });
  return cache;
}
async function opsPerSecond(call) {
  for (let i = 0; i < Math.min(1000, n); i++) await call();
  const start = performance.now();
  for (let i = 0; i < n; i++) await call();
  return n / ((performance.now() - start) / 1000);
}
async function stampede(readers) {
  let calls = 0;
  const loader = async () => {
    calls++;
    await sleep(200); // the database query
    return { booked: 42 };
  };
  await Promise.all(readers.flatMap((read) => Array.from({ length: 10 }, () => read(loader))));
  return calls;
}

const tag = `${process.pid}-${Date.now()}`;
const [o, p] = [ours(), peer()];
const result = {
  ours_hits: await opsPerSecond(() => o.getOrLoad("analytics-dashboard", { peer: "hit" }, async () => value)),
  peer_hits: await opsPerSecond(() => p.wrap("analytics-dashboard:peer=hit", async () => value, 300_000)),
};
const oursInstances = Array.from({ length: 5 }, ours);
const peerInstances = Array.from({ length: 5 }, peer);
result.ours_stampede = await stampede(oursInstances.map((c) => (l) => c.getOrLoad("appointment-stats", { peer: tag }, l)));
result.peer_stampede = await stampede(peerInstances.map((c) => (l) => c.wrap(`appointment-stats:${tag}`, l, 300_000)));
// Invalidation: instance A caches, instance B deletes, A reads again: does it reload?
let oursLoads = 0;
let peerLoads = 0;
const load = (side) => async () => (side === "ours" ? ++oursLoads : ++peerLoads);
await oursInstances[0].getOrLoad("daily-sales", { peer: tag }, load("ours"));
await oursInstances[1].invalidate("daily-sales", { peer: tag });
await oursInstances[0].getOrLoad("daily-sales", { peer: tag }, load("ours"));
await peerInstances[0].wrap(`daily-sales:${tag}`, load("peer"), 300_000);
await peerInstances[1].del(`daily-sales:${tag}`);
await peerInstances[0].wrap(`daily-sales:${tag}`, load("peer"), 300_000);
result.ours_reloads = oursLoads === 2;
result.peer_reloads = peerLoads === 2;
await Promise.all(clients.map((c) => c.close()));
process.stdout.write(JSON.stringify(result) + "\n");
