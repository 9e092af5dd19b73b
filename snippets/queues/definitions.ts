/**
 * The five PharmaCare job queues in one place: names, prefix, connection, default job options.
 *
 * Shown on docs/usage/queues.md beside snippets/queues/definitions.py. Producers
 * (producers.ts), the worker (worker.ts) and the admin helpers (admin.ts) build their queues
 * here, so the prefix, the connection and the retry policy cannot drift apart.
 * Run `node queues/definitions.ts` (in snippets/) to check the server the app would use.
 */
import { Queue } from "bullmq";
import type { ConnectionOptions, DefaultJobOptions } from "bullmq";

import { createRedis, queueConnectionOptions, redact } from "../config/client.ts";
import { loadSettings } from "../config/settings.ts";
import type { RedisSettings } from "../config/settings.ts";

// --8<-- [start:queues]
export const QUEUE_NAMES = [
  "appointment-reminder", // one reminder per appointment, sent before it starts
  "follow-up-monitor", // hourly sweep for overdue follow-ups
  "medication-reminder", // one job scheduler (cron) per prescription
  "adherence-check", // one job scheduler, every 24 hours
  "appointment-status", // an appointment changed state: update it and notify
] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

// The hash tag {…} makes a cluster hash only "pharmacare", so every key of every queue
// lands in one slot: BullMQ's Lua scripts touch many keys of a queue at once.
export const PREFIX = "{pharmacare}";

export const DEFAULT_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 3, // three tries in total: the first one and two retries
  backoff: { type: "exponential", delay: 30_000 }, // wait 30 s, then 60 s
  removeOnComplete: { age: 24 * 3600, count: 1000 }, // keep a day (at most 1,000)
  removeOnFail: { age: 7 * 24 * 3600 }, // keep failed jobs a week for inspection
};
// --8<-- [end:queues]

// --8<-- [start:connection]
/**
 * The connection every Queue and Worker gets: ALWAYS given explicitly. Without one, BullMQ
 * connects to 127.0.0.1:6379, which on a platform is nothing (ECONNREFUSED 127.0.0.1:6379).
 * queueConnectionOptions() turns the app's settings (REDIS_URL or REDIS_HOST & co, TLS,
 * user, password) into ioredis options with maxRetriesPerRequest: null, which BullMQ needs
 * for a worker's blocking waits to ride out a reconnect instead of failing.
 */
export function workerConnection(settings: RedisSettings = loadSettings()): ConnectionOptions {
  // The cast only bridges two typings of the same object: ioredis 6 allows a retryStrategy
  // that may return null, BullMQ's own RedisOptions type does not.
  return queueConnectionOptions(settings) as ConnectionOptions;
}

/**
 * A producer's connection: the same, but a command sent while Redis is unreachable fails at
 * once instead of waiting in ioredis' offline queue, so a web request can answer 503 in
 * time rather than hang until Redis is back (BullMQ: "Failing fast when Redis is down").
 */
export function producerConnection(settings: RedisSettings = loadSettings()): ConnectionOptions {
  return { ...workerConnection(settings), enableOfflineQueue: false };
}

/** A producer-side Queue for one of QUEUE_NAMES. Close it with `await queue.close()`. */
export function makeQueue(name: QueueName, settings: RedisSettings = loadSettings()): Queue {
  if (!QUEUE_NAMES.includes(name)) {
    throw new Error(`unknown queue '${name}'; the queues are ${QUEUE_NAMES.join(", ")}`);
  }
  return new Queue(name, {
    prefix: PREFIX,
    connection: producerConnection(settings),
    defaultJobOptions: DEFAULT_JOB_OPTIONS,
  });
}
// --8<-- [end:connection]

// --8<-- [start:startup-check]
const DOCS = process.env.DOCS_BASE_URL ?? "https://pharmacare-redis-guide.netlify.app/latest/";

/** The server would lose jobs: refuse to start the queues. Carries the doctor's check id. */
export class QueueStartupError extends Error {
  readonly id: string;
  constructor(id: string, detail: string) {
    const summary = "maxmemory-policy is not noeviction, so queued jobs can be evicted";
    const docs = `${DOCS.replace(/\/$/, "")}/troubleshooting/memory/#${id.replace(".", "-")}`;
    super(`${id}: ${summary} (${detail}); see ${docs}`);
    this.name = "QueueStartupError";
    this.id = id;
  }
}

/**
 * Run at startup by producers and workers. Refuses an evicting maxmemory-policy: under
 * memory pressure it deletes job hashes, queue lists and locks (jobs lost).
 */
export async function checkQueueServer(settings: RedisSettings = loadSettings()): Promise<void> {
  const client = createRedis("queue", settings); // logs "Queue Redis client connected"
  try {
    const info = await client.info("memory"); // INFO works where CONFIG GET is blocked
    const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1] ?? "unknown";
    if (policy !== "noeviction") {
      throw new QueueStartupError(
        "memory.policy-queue",
        `maxmemory-policy is ${policy}; set it to noeviction`,
      );
    }
  } finally {
    client.disconnect();
  }
}
// --8<-- [end:startup-check]

if (import.meta.main) {
  const settings = loadSettings();
  try {
    await checkQueueServer(settings);
  } catch (error) {
    console.error(`refusing to use the queues: ${redact((error as Error).message)}`);
    process.exit(1);
  }
  const queue = makeQueue("appointment-status", settings);
  console.log(`${queue.qualifiedName}:`, await queue.getJobCounts());
  await queue.close();
}
