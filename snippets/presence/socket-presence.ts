/**
 * Real-time presence with Socket.io: online users, last seen and custom status, shared by
 * every app instance through Redis, and Socket.io events that reach clients on any instance.
 *
 * Shown on docs/usage/presence.md beside the Python version (snippets/presence/presence.py),
 * with the same keys, so both read the same presence. Each instance heartbeats the users
 * connected to it into one sorted set (score = time of the last heartbeat); the Socket.io
 * Redis adapter carries `io.emit(...)` to the clients of every instance.
 *
 * In snippets/: `node presence/socket-presence.ts` starts two instances (two processes) and
 * connects a client to each; `--serve PORT --instance NAME` runs one instance;
 * `--clients URL1 URL2` runs the two clients against instances you started.
 */
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

import { createShardedAdapter } from "@socket.io/redis-adapter";
import type { Redis } from "ioredis";
import { Server } from "socket.io";
import { io as connectTo, type Socket } from "socket.io-client";

import { createRedis } from "../config/client.ts";

// --8<-- [start:keys]
export const ONLINE = "pharmacare:presence:v1:online"; // ZSET user -> last heartbeat (ms), pruned
export const LAST_SEEN = "pharmacare:presence:v1:last-seen"; // ZSET user -> last heartbeat (ms), kept
export const STATUS = "pharmacare:presence:v1:status"; // HASH user -> custom status ("In a consultation")
export const ADAPTER_PREFIX = "pharmacare:socket.io"; // the adapter's channels, inside the app user's ACL

export const HEARTBEAT_EVERY_MS = 15_000; // between heartbeats of one instance
export const OFFLINE_AFTER_MS = 45_000; // no heartbeat for this long (3 missed beats): offline
export const BATCH = 500; // heartbeats per pipeline round trip
// --8<-- [end:keys]

const log = {
  info: (message: string): void => console.info(message),
  warn: (message: string): void => console.warn(message),
};

/** What every client hears on the "presence" event, whichever instance made the change. */
export interface PresenceEvent {
  event: "online" | "offline" | "status";
  user: string;
  instance: string;
  status?: string;
  reason?: "timeout";
}

export interface PresenceOptions {
  heartbeatEveryMs?: number;
  offlineAfterMs?: number;
}

/** Presence for one app instance: the users connected here, shared through Redis. */
export class Presence {
  readonly client: Redis;
  readonly heartbeatEveryMs: number;
  readonly offlineAfterMs: number;
  // user -> open sockets on this instance (a user may have several tabs) and custom status
  readonly local = new Map<string, { sockets: number; status: string | null }>();

  constructor(client: Redis, { heartbeatEveryMs = HEARTBEAT_EVERY_MS, offlineAfterMs = OFFLINE_AFTER_MS }: PresenceOptions = {}) {
    this.client = client;
    this.heartbeatEveryMs = heartbeatEveryMs;
    this.offlineAfterMs = offlineAfterMs;
  }

  // --8<-- [start:connect]
  /** A socket of `user` connected here; true for the user's first socket on this instance. */
  async connect(user: string, status: string | null = null): Promise<boolean> {
    const mine = this.local.get(user) ?? { sockets: 0, status };
    mine.sockets++;
    this.local.set(user, mine);
    const now = Date.now(); // instances compare each other's times: keep clocks in sync (NTP)
    const pipe = this.client.pipeline().zadd(ONLINE, now, user).zadd(LAST_SEEN, now, user);
    if (status !== null) pipe.hset(STATUS, user, status);
    await pipe.exec();
    return mine.sockets === 1;
  }

  /** A socket of `user` closed; true when it was their last one here (then: offline). */
  async disconnect(user: string): Promise<boolean> {
    const mine = this.local.get(user);
    if (!mine || --mine.sockets > 0) return false;
    this.local.delete(user);
    await this.client.pipeline().zrem(ONLINE, user).zadd(LAST_SEEN, Date.now(), user).exec();
    return true;
  }

  /** A custom status, e.g. "In a consultation", shown to everyone; outlives the session. */
  async setStatus(user: string, status: string): Promise<void> {
    const mine = this.local.get(user);
    if (mine) mine.status = status;
    await this.client.hset(STATUS, user, status);
  }
  // --8<-- [end:connect]

  // --8<-- [start:heartbeat]
  /** Heartbeat every local user: a few pipelined round trips, not one per user. Also
   * rebuilds presence after Redis lost its data (a restart without persistence). */
  async beat(): Promise<number> {
    const users = [...this.local];
    const now = Date.now();
    for (let start = 0; start < users.length; start += BATCH) {
      const chunk = users.slice(start, start + BATCH);
      const beats = chunk.flatMap(([user]) => [now, user]);
      const pipe = this.client.pipeline().zadd(ONLINE, ...beats).zadd(LAST_SEEN, ...beats);
      const statuses = chunk.filter(([, mine]) => mine.status !== null).flatMap(([user, mine]) => [user, mine.status!]);
      if (statuses.length) pipe.hset(STATUS, ...statuses);
      const failed = (await pipe.exec())?.find(([error]) => error);
      if (failed) throw failed[0];
    }
    return users.length;
  }
  // --8<-- [end:heartbeat]

  // --8<-- [start:read]
  /** Users with a heartbeat in the last offlineAfterMs, on any instance. Ghosts (users of
   * a crashed instance) drop out of this list on their own. */
  online(): Promise<string[]> {
    return this.client.zrangebyscore(ONLINE, Date.now() - this.offlineAfterMs, "+inf");
  }

  /** Time (ms since the epoch) of the user's last heartbeat, or null if never seen. */
  async lastSeen(user: string): Promise<number | null> {
    const score = await this.client.zscore(LAST_SEEN, user);
    return score === null ? null : Number(score);
  }

  status(user: string): Promise<string | null> {
    return this.client.hget(STATUS, user);
  }
  // --8<-- [end:read]

  // --8<-- [start:cleanup]
  /** Remove ghosts; returns the users this instance removed. Every instance may run this:
   * ZREM reports who removed each ghost, so each offline event is sent once. */
  async cleanup(): Promise<string[]> {
    const ghosts = await this.client.zrangebyscore(ONLINE, "-inf", Date.now() - this.offlineAfterMs);
    if (!ghosts.length) return [];
    const pipe = this.client.pipeline();
    for (const user of ghosts) pipe.zrem(ONLINE, user);
    const removed = (await pipe.exec()) ?? [];
    return ghosts.filter((_, i) => removed[i]?.[1] === 1);
  }
  // --8<-- [end:cleanup]
}

// --8<-- [start:server]
export interface Instance {
  io: Server;
  presence: Presence;
  port: number;
  close(): Promise<void>;
}

/** One app instance: Socket.io on `port` with the Redis adapter, and presence. */
export async function startInstance(port: number, name: string, options: PresenceOptions = {}): Promise<Instance> {
  // Two connections: the adapter's subscriber can run nothing but pub/sub commands. Both
  // reconnect by themselves after an outage, and ioredis resubscribes the adapter.
  const pub = createRedis("presence");
  const sub = createRedis("presence-events");
  const http = createServer();
  // The sharded adapter (SSUBSCRIBE, Redis 7+) subscribes to exact channel names, which the
  // app user's channel rule allows; the classic createAdapter() needs a PSUBSCRIBE pattern.
  const adapter = createShardedAdapter(pub, sub, { channelPrefix: ADAPTER_PREFIX, subscriptionMode: "static" });
  const io = new Server(http, { adapter });
  await sub.ping(); // queued after the adapter's SSUBSCRIBEs: from here on we hear every event
  const presence = new Presence(pub, options);
  const tell = (event: PresenceEvent) => io.emit("presence", event); // every client, every instance
  const bestEffort = (work: Promise<unknown>) => work.catch((error) => log.warn(`presence: ${error}`));

  io.on("connection", (socket) => {
    // In the app the user comes from the verified session (JWT), never from the client as here.
    const user = String(socket.handshake.auth.userId);
    bestEffort(presence.connect(user).then((first) => first && tell({ event: "online", user, instance: name })));
    socket.on("status", (status: string) =>
      bestEffort(presence.setStatus(user, status).then(() => tell({ event: "status", user, status, instance: name }))),
    );
    socket.on("who-is-online", (reply: (users: string[]) => void) => bestEffort(presence.online().then(reply)));
    socket.on("disconnect", () =>
      bestEffort(presence.disconnect(user).then((last) => last && tell({ event: "offline", user, instance: name }))),
    );
  });

  let down = false; // log an outage once, not every beat
  const heartbeat = setInterval(async () => {
    try {
      await presence.beat();
      const ghosts = await presence.cleanup();
      for (const user of ghosts) tell({ event: "offline", user, instance: name, reason: "timeout" });
      if (ghosts.length) log.info(`presence: ${ghosts.length} ghost(s) removed`);
      if (down) log.info("presence: Redis available again; heartbeats rebuilt presence");
      down = false;
    } catch (error) {
      if (!down) log.warn(`presence: Redis unavailable (${error}); retrying`);
      down = true;
    }
  }, presence.heartbeatEveryMs);

  await new Promise<void>((resolve) => http.listen(port, "127.0.0.1", resolve));
  return {
    io,
    presence,
    port: (http.address() as AddressInfo).port,
    async close() {
      clearInterval(heartbeat);
      await io.close(); // disconnects our sockets: their offline updates are sent first …
      await Promise.all([pub.quit(), sub.quit()]); // … then QUIT, after them
    },
  };
}
// --8<-- [end:server]

/** Resolves once `check()` is true; rejects after `timeoutMs` saying what never happened. */
function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      if (check()) resolve();
      else if (Date.now() - started < timeoutMs) return;
      else reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      clearInterval(poll);
    }, 10);
  });
}

/** Two users on two instances: what each browser tab would hear. */
export async function runClients(url1: string, url2: string): Promise<void> {
  // --8<-- [start:client]
  // In the browser: import { io } from "socket.io-client"; the session cookie/JWT names the user.
  const patient = connectTo(url2, { auth: { userId: "patient-42" }, transports: ["websocket"] });
  const heard: PresenceEvent[] = [];
  patient.on("presence", (event: PresenceEvent) => heard.push(event));
  // --8<-- [end:client]
  const say = (line: string) => console.log(line);
  const sockets: Socket[] = [patient];
  try {
    await until(() => patient.connected, "patient-42 connected to app-2");
    const pharmacist = connectTo(url1, { auth: { userId: "pharmacist-7" }, transports: ["websocket"] });
    sockets.push(pharmacist);
    const heardAbout = (event: string, user: string) => () => heard.some((e) => e.event === event && e.user === user);
    await until(heardAbout("online", "pharmacist-7"), "patient-42 hearing pharmacist-7 online");
    say(`patient-42 on app-2 heard: ${JSON.stringify(heard.at(-1))}`);
    say(`online, asked on app-2: ${JSON.stringify((await patient.emitWithAck("who-is-online")).sort())}`);
    pharmacist.emit("status", "In a consultation");
    await until(heardAbout("status", "pharmacist-7"), "the status change");
    say(`patient-42 on app-2 heard: ${JSON.stringify(heard.at(-1))}`);
    pharmacist.disconnect();
    await until(heardAbout("offline", "pharmacist-7"), "patient-42 hearing pharmacist-7 offline");
    say(`patient-42 on app-2 heard: ${JSON.stringify(heard.at(-1))}`);
    say(`online, asked on app-2: ${JSON.stringify(await patient.emitWithAck("who-is-online"))}`);
  } finally {
    for (const socket of sockets) socket.disconnect();
  }
}

/** `--serve` in a child process; resolves with its URL once it is listening. */
async function spawnInstance(name: string) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), "--serve", "0", "--instance", name], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  for await (const line of createInterface({ input: child.stdout })) {
    const found = / listening on (\S+)/.exec(line);
    if (found) return { child, url: found[1]! };
  }
  throw new Error(`${name} exited before listening`);
}

if (import.meta.main) {
  const argv = process.argv.slice(2);
  const arg = (flag: string) => argv[argv.indexOf(flag) + 1]!;
  if (argv.includes("--serve")) {
    const name = argv.includes("--instance") ? arg("--instance") : "app-1";
    const options: PresenceOptions = {};
    if (argv.includes("--heartbeat-ms")) options.heartbeatEveryMs = Number(arg("--heartbeat-ms"));
    if (argv.includes("--offline-after-ms")) options.offlineAfterMs = Number(arg("--offline-after-ms"));
    const instance = await startInstance(Number(arg("--serve")), name, options);
    console.log(`${name} listening on http://127.0.0.1:${instance.port}`);
    for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => void instance.close());
  } else if (argv.includes("--clients")) {
    await runClients(arg("--clients"), argv[argv.indexOf("--clients") + 2]!);
  } else {
    const [app1, app2] = await Promise.all([spawnInstance("app-1"), spawnInstance("app-2")]);
    try {
      await runClients(app1.url, app2.url);
    } finally {
      for (const { child } of [app1, app2]) child.kill("SIGTERM");
    }
  }
}
