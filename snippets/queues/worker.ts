/**
 * The worker process: one BullMQ Worker per queue, concurrency, graceful SIGTERM shutdown.
 *
 * Shown on docs/usage/queues.md beside snippets/queues/worker.py. Run it as its own process
 * (a Render background worker, a Heroku `worker` dyno): `node queues/worker.ts`. It stops on
 * SIGTERM after the jobs in hand finish; a job cut off by SIGKILL is re-queued by another
 * worker once its lock expires (the stalled-job check).
 */
import { Worker } from "bullmq";
import type { Job, WorkerOptions } from "bullmq";

import { backgroundJobsEnabled, loadSettings } from "../config/settings.ts";
import type { RedisSettings } from "../config/settings.ts";
import { PREFIX, checkQueueServer, workerConnection } from "./definitions.ts";
import type { QueueName } from "./definitions.ts";

export type Processor = (job: Job) => Promise<unknown>;

// --8<-- [start:processors]
// Each processor gets ids, loads what it needs from the database, does the work, and
// returns a small JSON-able result. Throwing fails the attempt: BullMQ retries it with
// backoff, and after the third try the job stays in "failed" with the error.
async function sendAppointmentReminder(job: Job<{ appointmentId: string }>) {
  const { appointmentId } = job.data;
  // const appointment = await db.appointments.get(appointmentId); await sms.send(...)
  return { reminded: appointmentId };
}

async function checkFollowUps() {
  return { checked: "follow-ups" };
}

async function sendMedicationReminder(job: Job<{ prescriptionId: string }>) {
  return { reminded: job.data.prescriptionId };
}

async function checkAdherence() {
  return { checked: "adherence" };
}

async function updateAppointmentStatus(job: Job<{ appointmentId: string; status: string }>) {
  return { appointment: job.data.appointmentId, status: job.data.status };
}

export const PROCESSORS: Record<QueueName, Processor> = {
  "appointment-reminder": sendAppointmentReminder,
  "follow-up-monitor": checkFollowUps,
  "medication-reminder": sendMedicationReminder,
  "adherence-check": checkAdherence,
  "appointment-status": updateAppointmentStatus,
};
// --8<-- [end:processors]

// --8<-- [start:options]
export const WORKER_OPTIONS = {
  concurrency: 5, // jobs in flight per queue in this process (they await I/O)
  lockDuration: 30_000, // ms a job stays locked without renewal (renewed every 15 s)
  stalledInterval: 30_000, // ms between checks for jobs whose worker died
  maxStalledCount: 1, // re-queue a stalled job once; a second stall fails it
} satisfies Partial<WorkerOptions>;
// --8<-- [end:options]

// --8<-- [start:run]
/** Process the queues until SIGTERM or SIGINT, then finish the jobs in hand and return. */
export async function runWorkers(
  processors: Partial<Record<QueueName, Processor>> = PROCESSORS,
  options: Partial<WorkerOptions> = {},
  env: NodeJS.ProcessEnv = process.env,
  settings?: RedisSettings,
): Promise<void> {
  if (!backgroundJobsEnabled(env)) {
    console.warn("DISABLE_BACKGROUND_JOBS=true: no worker started, no reminders are sent");
    return;
  }
  const resolved = settings ?? loadSettings(env);
  await checkQueueServer(resolved); // refuses an evicting server

  const workers = Object.entries(processors).map(
    ([name, processor]) =>
      new Worker(name, processor, {
        prefix: PREFIX,
        connection: workerConnection(resolved), // explicit: never BullMQ's 127.0.0.1:6379
        name: "pharmacare-worker",
        ...WORKER_OPTIONS,
        ...options,
      }),
  );
  for (const worker of workers) {
    worker.on("error", (error) => console.error(`worker ${worker.name}: ${error.message}`));
  }
  console.info(`worker started: ${Object.keys(processors).join(", ")}`);

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  console.info(`${signal}: finishing the jobs in hand, taking no new ones`);
  await Promise.all(workers.map((worker) => worker.close())); // waits for active jobs
  console.info("worker stopped");
}
// --8<-- [end:run]

if (import.meta.main) {
  await runWorkers();
}
