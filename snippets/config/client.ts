// An ioredis client built from the environment: timeouts, retries, logged connects, redaction.
//
// The TypeScript twin of snippets/config/client.py, shown beside it on
// docs/setup/configuration.md and docs/setup/connections.md.
// Run `node config/client.ts` (in snippets/) to connect with your environment and PING.
import { Redis } from "ioredis";
import type { RedisOptions } from "ioredis";
import { loadSettings } from "./settings.ts";
import type { RedisSettings } from "./settings.ts";

// --8<-- [start:options]
const CONNECT_TIMEOUT_MS = 5_000; // TCP (+ TLS) connect, per attempt
const SOCKET_TIMEOUT_MS = 5_000; // no reply for this long (AUTH/HELLO included): drop, reconnect
const RETRIES = 3; // a command waits through at most 3 reconnection attempts after the first try
const BACKOFF_BASE_MS = 100; // reconnect after random(0, 100 ms × 2^attempt) …
const BACKOFF_CAP_MS = 2_000; // … but never more than 2 s apart
// --8<-- [end:options]

const CONNECTED: Record<string, string> = {
  cache: "Redis cache connected successfully",
  queue: "Queue Redis client connected",
  presence: "Presence Redis client connected",
};

// --8<-- [start:redact]
const REDACTED = "***";

/** The password forms of this environment: raw, trimmed, percent-encoded and decoded. */
function knownSecrets(env: NodeJS.ProcessEnv): string[] {
  const found = new Set<string>();
  const add = (secret: string | undefined) => {
    if (!secret) return;
    for (const form of [secret, secret.trim()]) {
      found.add(form);
      found.add(encodeURIComponent(form));
      try {
        found.add(decodeURIComponent(form));
      } catch {
        // not percent-encoded: the raw form is enough
      }
    }
  };
  add(env.REDIS_PASSWORD);
  const url = env.REDIS_URL?.replace(/\s+/g, "") ?? "";
  const userinfo = url.slice(url.indexOf("://") + 3).split(/[/?#]/)[0] ?? "";
  const at = userinfo.lastIndexOf("@");
  if (at >= 0) {
    const creds = userinfo.slice(0, at);
    add(creds.slice(creds.indexOf(":") + 1)); // everything after the first ':', '@'s included
  }
  add(/[?&]password=([^&#]*)/i.exec(url)?.[1]);
  return [...found].filter((s) => s.length >= 3).sort((a, b) => b.length - a.length);
}

/** `text` (or an error's message and stack) with every password replaced by ***. */
export function redact(text: unknown, env: NodeJS.ProcessEnv = process.env): string {
  let out = text instanceof Error ? `${text.stack ?? `${text.name}: ${text.message}`}` : String(text);
  for (const secret of knownSecrets(env)) out = out.replaceAll(secret, REDACTED);
  return out
    .replace(/(\w+:\/\/[^\s/:@]*:)[^\s@]*@/g, `$1${REDACTED}@`) // any URL's password
    .replace(/([?&;]password=)\S*/gi, `$1${REDACTED}`)
    .replace(/(\bauth'?[ \t]+)(?!<password>).*/gi, `$1${REDACTED}`); // "AUTH <args>" echoes
}

/** The same error, safe to log or rethrow: message and stack redacted, AUTH arguments gone. */
export function redactError<E extends Error>(error: E, env: NodeJS.ProcessEnv = process.env): E {
  error.message = redact(error.message, env);
  if (error.stack) error.stack = redact(error.stack, env);
  // ioredis attaches the failed command to its errors: { name: "auth", args: [user, password] }
  const command = (error as { command?: { name?: string; args?: unknown[] } }).command;
  if (command?.args && /^(auth|hello|migrate)$/i.test(command.name ?? "")) {
    command.args = command.args.map(() => REDACTED);
  }
  return error;
}
// --8<-- [end:redact]

// --8<-- [start:retry]
/**
 * ioredis calls retryStrategy(times) after each failed or lost connection; `times` counts the
 * reconnection attempts since the last successful connect (1, 2, 3, …). Returning a delay
 * reconnects after it; returning null would end the client for good, so this one never gives
 * up: the app recovers by itself when Redis comes back. What gives up is the *command*:
 * maxRetriesPerRequest: 3 rejects commands waiting in the offline queue once 3 reconnection
 * attempts after the first try have failed (4 connection attempts in all, as in Python).
 */
export function retryStrategy(times: number): number {
  // Exponential backoff with full jitter: random(0, 100 ms × 2^times), capped at 2 s.
  return Math.round(Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** times));
}
// --8<-- [end:retry]

// --8<-- [start:create-redis]
/** One client per process and purpose ("cache", "presence", …); create it at startup. */
export function createRedis(
  purpose: string,
  settings: RedisSettings = loadSettings(),
  overrides: RedisOptions = {},
): Redis {
  const client = new Redis({
    ...settings.redisOptions(), // host, port, db, username, password, tls from REDIS_URL
    connectionName: `pharmacare-${purpose}`, // shown by CLIENT LIST: who holds which connection
    connectTimeout: CONNECT_TIMEOUT_MS, // ioredis clears it once TCP/TLS is up, before HELLO/AUTH:
    socketTimeout: SOCKET_TIMEOUT_MS, // … so this one covers a server that accepts and hangs
    keepAlive: 30_000,
    retryStrategy,
    maxRetriesPerRequest: RETRIES, // see retryStrategy; queues use null (queueConnectionOptions)
    ...overrides,
  });
  logConnections(client, CONNECTED[purpose] ?? `Redis ${purpose} client connected`, settings.target);
  return client;
}

/** "connected" once per client, one "problem" and one "recovered" line per outage: never per command. */
function logConnections(client: Redis, connected: string, target: string): void {
  let everConnected = false;
  let up = false;
  let reported = false; // this outage already has its line
  client.on("ready", () => {
    if (!up) console.info(`${everConnected ? "Redis connection recovered" : connected}: ${target}`);
    everConnected = up = true;
    reported = false;
  });
  // Without an "error" listener ioredis prints every failed attempt: log the first per outage.
  client.on("error", (error: Error) => {
    if (!reported) console.warn(`Redis connection problem: ${redact(error.message)} (${target})`);
    reported = true;
  });
  client.on("close", () => {
    up = false;
  });
}
// --8<-- [end:create-redis]

// --8<-- [start:queue-options]
/**
 * Connection options for BullMQ, given explicitly (`new Queue(name, { connection })`) so BullMQ
 * never falls back to localhost:6379. maxRetriesPerRequest must be null for a Worker: its
 * blocking commands wait on the connection indefinitely and must survive reconnects.
 */
export function queueConnectionOptions(settings: RedisSettings = loadSettings()): RedisOptions {
  return {
    ...settings.redisOptions(),
    connectionName: "pharmacare-queue",
    connectTimeout: CONNECT_TIMEOUT_MS,
    keepAlive: 30_000,
    retryStrategy,
    maxRetriesPerRequest: null,
  };
}
// --8<-- [end:queue-options]

if (import.meta.main) {
  const redis = createRedis("cache");
  try {
    console.log("PING ->", await redis.ping());
  } catch (error) {
    console.error(redact(error)); // never the password, whatever the error says
    process.exitCode = 1;
  } finally {
    redis.disconnect();
  }
}
