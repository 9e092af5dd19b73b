/**
 * Producers: what the API enqueues (reminders, schedules, status updates) and what it returns.
 *
 * Shown on docs/usage/queues.md beside snippets/queues/producers.py. Payloads carry ids only:
 * the worker looks the patient up in the database, so no patient detail sits in Redis (or in
 * a failed job's record for a week). With DISABLE_BACKGROUND_JOBS=true nothing is enqueued
 * and every call says "skipped". Run `node queues/producers.ts` to enqueue one job of each kind.
 */
import type { JobsOptions, Queue, RepeatOptions } from "bullmq";

import { backgroundJobsEnabled, loadSettings } from "../config/settings.ts";
import type { RedisSettings } from "../config/settings.ts";
import { DEFAULT_JOB_OPTIONS, QUEUE_NAMES, checkQueueServer, makeQueue } from "./definitions.ts";
import type { QueueName } from "./definitions.ts";

// --8<-- [start:result]
/** What happened to one enqueue call. Check `queued`: never assume the job exists. */
export interface EnqueueResult {
  queue: QueueName;
  status: "queued" | "duplicate" | "scheduled" | "skipped"; // duplicate: already there
  jobId: string | null; // null when skipped
  reason?: string;
  queued: boolean; // false only when skipped
}
// --8<-- [end:result]

const HOUR = 3600 * 1000;
export const REMINDER_LEAD_MS = 24 * HOUR; // send the appointment reminder a day before

/** One per process: the five queues (or none when background jobs are disabled). */
export class Producers {
  queues: Map<QueueName, Queue> | null; // null: DISABLE_BACKGROUND_JOBS=true
  readonly skipped = new Map<QueueName, number>(); // jobs not enqueued, per queue (export it)
  private readonly warned = new Set<QueueName>();

  constructor(queues: Map<QueueName, Queue> | null) {
    this.queues = queues;
  }

  // --8<-- [start:open]
  /** At app startup. Throws QueueStartupError on an evicting server. */
  static async open(
    env: NodeJS.ProcessEnv = process.env,
    settings?: RedisSettings,
  ): Promise<Producers> {
    if (!backgroundJobsEnabled(env)) {
      console.warn("DISABLE_BACKGROUND_JOBS=true: jobs will be skipped, not enqueued");
      return new Producers(null);
    }
    const resolved = settings ?? loadSettings(env);
    await checkQueueServer(resolved); // before any queue connects
    return new Producers(new Map(QUEUE_NAMES.map((name) => [name, makeQueue(name, resolved)])));
  }

  async close(): Promise<void> {
    await Promise.all([...(this.queues?.values() ?? [])].map((queue) => queue.close()));
  }
  // --8<-- [end:open]

  // --8<-- [start:skip]
  /** Count the skipped job and warn once per queue: nothing will run it. */
  private skip(queue: QueueName): EnqueueResult {
    this.skipped.set(queue, (this.skipped.get(queue) ?? 0) + 1);
    if (!this.warned.has(queue)) {
      this.warned.add(queue);
      console.warn(`DISABLE_BACKGROUND_JOBS=true: ${queue} jobs are skipped (counted, never sent)`);
    }
    const reason = "DISABLE_BACKGROUND_JOBS=true";
    return { queue, status: "skipped", jobId: null, reason, queued: false };
  }
  // --8<-- [end:skip]

  private async add(
    queue: QueueName,
    name: string,
    data: Record<string, string>,
    opts: JobsOptions = {},
  ): Promise<EnqueueResult> {
    const q = this.queues?.get(queue);
    if (!q) return this.skip(queue);
    if (opts.jobId && (await q.getJob(opts.jobId))) {
      // BullMQ would ignore the add: say so instead of pretending a second job exists.
      return { queue, status: "duplicate", jobId: opts.jobId, queued: true };
    }
    const job = await q.add(name, data, opts);
    return { queue, status: "queued", jobId: job.id ?? null, queued: true };
  }

  private async schedule(
    queue: QueueName,
    schedulerId: string,
    repeat: Omit<RepeatOptions, "key">,
    name: string,
    data: Record<string, string>,
  ): Promise<EnqueueResult> {
    const q = this.queues?.get(queue);
    if (!q) return this.skip(queue);
    // A scheduler's jobs do not inherit the queue's defaultJobOptions: pass them.
    const template = { name, data, opts: DEFAULT_JOB_OPTIONS };
    const job = await q.upsertJobScheduler(schedulerId, repeat, template);
    return { queue, status: "scheduled", jobId: job?.id ?? null, queued: true };
  }

  // --8<-- [start:appointment-reminder]
  /**
   * One reminder per appointment: the job id is derived from the appointment id, so booking
   * twice (a retried HTTP request) cannot send two reminders.
   */
  async appointmentReminder(
    appointmentId: string,
    startsAt: Date,
    leadMs: number = REMINDER_LEAD_MS,
  ): Promise<EnqueueResult> {
    const delay = Math.max(0, startsAt.getTime() - leadMs - Date.now());
    return this.add(
      "appointment-reminder",
      "send-reminder",
      { appointmentId }, // ids only: no name, phone or time
      { jobId: `reminder-${appointmentId}`, delay },
    );
  }
  // --8<-- [end:appointment-reminder]

  // --8<-- [start:schedulers]
  /**
   * A cron schedule per prescription (default 08:00 daily in the patient's zone).
   * Upserting again with the same id updates the schedule instead of adding one.
   */
  async medicationReminder(
    prescriptionId: string,
    pattern = "0 8 * * *",
    tz = "UTC",
  ): Promise<EnqueueResult> {
    return this.schedule(
      "medication-reminder",
      `medication-${prescriptionId}`,
      { pattern, tz },
      "send-medication-reminder",
      { prescriptionId },
    );
  }

  /** One fixed-interval schedule for the whole app (every 24 hours). */
  async adherenceCheck(everyMs: number = 24 * HOUR): Promise<EnqueueResult> {
    return this.schedule(
      "adherence-check",
      "adherence-check-daily",
      { every: everyMs },
      "check-adherence",
      {},
    );
  }

  /** One fixed-interval sweep for overdue follow-ups. */
  async followUpMonitor(everyMs: number = HOUR): Promise<EnqueueResult> {
    return this.schedule(
      "follow-up-monitor",
      "follow-up-monitor-hourly",
      { every: everyMs },
      "check-follow-ups",
      {},
    );
  }
  // --8<-- [end:schedulers]

  // --8<-- [start:appointment-status]
  /** An appointment changed state ("confirmed", "cancelled", "completed", …). */
  async appointmentStatus(appointmentId: string, status: string): Promise<EnqueueResult> {
    return this.add("appointment-status", "update-status", { appointmentId, status });
  }
  // --8<-- [end:appointment-status]
}

if (import.meta.main) {
  const producers = await Producers.open();
  try {
    const startsAt = new Date(Date.now() + 2 * 24 * HOUR);
    for (const result of [
      await producers.appointmentReminder("apt-1001", startsAt),
      await producers.appointmentReminder("apt-1001", startsAt), // a retried request
      await producers.medicationReminder("rx-2002"),
      await producers.adherenceCheck(),
      await producers.followUpMonitor(),
      await producers.appointmentStatus("apt-1001", "confirmed"),
    ]) {
      console.log(result);
    }
    console.log("skipped:", Object.fromEntries(producers.skipped));
  } finally {
    await producers.close();
  }
}
