/**
 * Operating the queues: job counts per state, and inspecting and retrying failed jobs.
 *
 * Shown on docs/usage/queues.md beside snippets/queues/admin.py. Run `node queues/admin.ts`
 * for a table of the five queues; `node queues/admin.ts --retry-failed` also retries
 * failed jobs.
 */
import type { Queue } from "bullmq";

import { loadSettings } from "../config/settings.ts";
import { QUEUE_NAMES, makeQueue } from "./definitions.ts";
import type { QueueName } from "./definitions.ts";

// --8<-- [start:counts]
export const STATES = ["waiting", "delayed", "active", "completed", "failed"] as const;

/** Jobs per state for each queue: alert on "failed" growing and "waiting" not draining. */
export async function queueCounts(
  queues: Map<QueueName, Queue>,
): Promise<Map<QueueName, Record<string, number>>> {
  const counts = new Map<QueueName, Record<string, number>>();
  for (const [name, queue] of queues) counts.set(name, await queue.getJobCounts(...STATES));
  return counts;
}
// --8<-- [end:counts]

// --8<-- [start:failed]
export interface FailedJob {
  id: string;
  name: string;
  attempts: number;
  error: string; // the error message of the last attempt
  data: unknown; // ids only, so safe to log
}

/** The most recent failed jobs with their last error (the stack trace is job.stacktrace). */
export async function failedJobs(queue: Queue, limit = 50): Promise<FailedJob[]> {
  const jobs = await queue.getFailed(0, limit - 1);
  return jobs.map((job) => ({
    id: job.id!,
    name: job.name,
    attempts: job.attemptsMade,
    error: job.failedReason,
    data: job.data,
  }));
}

/** Move failed jobs back to waiting after you fixed the cause; each gets 3 new tries. */
export async function retryFailed(queue: Queue, limit = 50): Promise<number> {
  const jobs = await queue.getFailed(0, limit - 1);
  for (const job of jobs) await job.retry("failed", { resetAttemptsMade: true });
  return jobs.length;
}
// --8<-- [end:failed]

if (import.meta.main) {
  const settings = loadSettings();
  const queues = new Map(QUEUE_NAMES.map((name) => [name, makeQueue(name, settings)]));
  try {
    console.log("queue".padEnd(22) + STATES.map((state) => state.padStart(11)).join(""));
    for (const [name, counts] of await queueCounts(queues)) {
      const cells = STATES.map((state) => String(counts[state]).padStart(11));
      console.log(name.padEnd(22) + cells.join(""));
    }
    for (const [name, queue] of queues) {
      for (const job of await failedJobs(queue)) {
        console.log(`failed ${name}/${job.id} after ${job.attempts} tries: ${job.error}`);
      }
      if (process.argv.includes("--retry-failed")) {
        console.log(`retried ${await retryFailed(queue)} failed jobs in ${name}`);
      }
    }
  } finally {
    await Promise.all([...queues.values()].map((queue) => queue.close()));
  }
}
