// Test driver (not shown on the site): runs one scenario of the Presence class in
// snippets/presence/socket-presence.ts and prints its observations as one JSON line,
// for tests/presence/test_socket_presence_ts.py. The server comes from REDIS_URL.
import { createRedis } from "../../snippets/config/client.ts";
import { Presence } from "../../snippets/presence/socket-presence.ts";

const [scenario] = process.argv.slice(2);
const client = createRedis("presence");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const scenarios = {
  basics: async () => {
    const p = new Presence(client);
    const out = { never: [await p.lastSeen("pharmacist-7"), await p.status("pharmacist-7")] };
    const before = Date.now();
    out.first = [await p.connect("pharmacist-7", "At the counter"), await p.connect("pharmacist-7")]; // two tabs
    await p.connect("patient-42");
    out.online = (await p.online()).sort();
    out.status = await p.status("pharmacist-7");
    await p.setStatus("pharmacist-7", "In a consultation");
    await p.setStatus("someone-elsewhere", "Away"); // a user on another instance: shared only
    out.local = JSON.parse(JSON.stringify(Object.fromEntries(p.local))); // a snapshot
    out.closed = [await p.disconnect("pharmacist-7"), (await p.online()).sort()]; // one tab left
    out.last = [await p.disconnect("pharmacist-7"), await p.online(), await p.disconnect("nobody")];
    const seen = await p.lastSeen("pharmacist-7");
    out.lastSeenOk = before - 1000 <= seen && seen <= Date.now() + 1000;
    out.statusAfter = await p.status("pharmacist-7"); // a custom status outlives a session
    return out;
  },
  beat10k: async () => {
    const instances = Array.from({ length: 4 }, () => new Presence(client, { offlineAfterMs: 60_000 }));
    for (let n = 0; n < 10_000; n++) {
      instances[n % 4].local.set(`user-${n}`, { sockets: 1, status: n % 10 === 0 ? "Available" : null });
    }
    const before = await client.info("commandstats");
    const beats = await Promise.all(instances.map((p) => p.beat()));
    const after = await client.info("commandstats");
    const zadds = (text) => Number(/cmdstat_zadd:calls=(\d+)/.exec(text)?.[1] ?? 0);
    const online = (await instances[0].online()).length;
    const sweeper = new Presence(client, { offlineAfterMs: 1 });
    await sleep(10);
    const swept = (await Promise.all([sweeper.cleanup(), sweeper.cleanup()])).map((r) => r.length);
    return { beats, zadds: zadds(after) - zadds(before), online, swept };
  },
  beatFails: async () => {
    const p = new Presence(client);
    await p.connect("pharmacist-7").catch(() => {});
    try {
      await p.beat();
      return { error: null };
    } catch (error) {
      return { error: error.message };
    }
  },
};

console.log(JSON.stringify(await scenarios[scenario]()));
client.disconnect();
