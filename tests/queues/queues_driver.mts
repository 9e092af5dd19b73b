// Test driver for the TypeScript queue snippets (not shown on the site): each command runs the
// snippets in snippets/queues/*.ts the way the app would and prints JSON for pytest to assert.
//
//   node tests/queues/queues_driver.mts <command> [--option value …]
//
// worker     runWorkers() with recording processors (the node twin of worker_proc.py): each
//            job INCRs {pharmacare}:test:runs, RPUSHes "<id>:<attemptsMade>:<ms>" to
//            {pharmacare}:test:attempts, sleeps --sleep s, then throws if job.data.fail (or
//            --fail-all) or SADDs its id to {pharmacare}:test:done and returns {by: "node", …}
// main-flow  every producer, processed by an in-process runWorkers, stopped with SIGTERM
// race       five simultaneous appointmentReminder calls for one appointment
// produce    one call of every producer
// disabled   DISABLE_BACKGROUND_JOBS=true: every producer, then runWorkers()
// open       Producers.open() (to see it refuse a server)
// admin      queueCounts + failedJobs (+ retryFailed with --retry) over the five queues
// names      makeQueue with a wrong name, PROCESSORS, WORKER_OPTIONS
// missing-connection   a Queue built without a connection (the old guide's mistake)
// bench      one node worker draining --jobs trivial jobs at --concurrency; prints jobs/s
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { createRequire } from "node:module";

import { createRedis } from "../../snippets/config/client.ts";
import { QUEUE_NAMES, PREFIX, makeQueue, workerConnection } from "../../snippets/queues/definitions.ts";
import { Producers } from "../../snippets/queues/producers.ts";
import { PROCESSORS, WORKER_OPTIONS, runWorkers } from "../../snippets/queues/worker.ts";
import { failedJobs, queueCounts, retryFailed } from "../../snippets/queues/admin.ts";

// bullmq as the snippets resolve it (this file lives outside the Node project in snippets/).
const { Queue, Worker } = createRequire(new URL("../../snippets/package.json", import.meta.url))("bullmq");

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    queues: { type: "string", default: "appointment-status" },
    sleep: { type: "string", default: "0" },
    "lock-ms": { type: "string", default: "30000" },
    "stalled-ms": { type: "string", default: "30000" },
    concurrency: { type: "string", default: "5" },
    "fail-all": { type: "boolean", default: false },
    retry: { type: "boolean", default: false },
    jobs: { type: "string", default: "1000" },
    every: { type: "string", default: "300" },
  },
});
const out = (value: unknown) => console.log(JSON.stringify(value));
const jobJson = (job: any) => ({
  id: job.id, name: job.name, data: job.data, opts: job.opts, returnvalue: job.returnvalue,
  failedReason: job.failedReason, attemptsMade: job.attemptsMade, stacktrace: job.stacktrace,
  timestamp: job.timestamp, processedOn: job.processedOn, queue: job.queueName,
});

async function waitFor(predicate: () => Promise<boolean>, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await sleep(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

const command = positionals[0];

if (command === "worker") {
  const recorder = createRedis("test-recorder");
  const processor = async (job: any) => {
    await recorder.incr(`${PREFIX}:test:runs`);
    await recorder.rpush(`${PREFIX}:test:attempts`, `${job.id}:${job.attemptsMade}:${Date.now()}`);
    console.log(`start ${job.id}`);
    await sleep(Number(values.sleep) * 1000);
    if (values["fail-all"] || job.data.fail) {
      throw new Error(`SMS gateway refused appointment ${job.data.appointmentId}`);
    }
    await recorder.sadd(`${PREFIX}:test:done`, job.id);
    console.log(`done ${job.id}`);
    return { by: "node", queue: job.queueName, data: job.data };
  };
  const processors = Object.fromEntries(values.queues.split(",").map((q) => [q, processor]));
  await runWorkers(processors, {
    concurrency: Number(values.concurrency),
    lockDuration: Number(values["lock-ms"]),
    stalledInterval: Number(values["stalled-ms"]),
  });
  recorder.disconnect();
} else if (command === "main-flow") {
  const producers = await Producers.open();
  const queues = producers.queues!;
  const worker = runWorkers();
  const soon = new Date(Date.now() + 24 * 3600_000 + 1000);
  const first = await producers.appointmentReminder("apt-1001", soon);
  const delayedReminders = await queues.get("appointment-reminder")!.getJobCountByTypes("delayed");
  const results = [
    first,
    await producers.appointmentReminder("apt-1001", soon), // a retried request
    await producers.medicationReminder("rx-2002", "* * * * * *"), // every second
    await producers.adherenceCheck(300),
    await producers.followUpMonitor(300),
    await producers.appointmentStatus("apt-1001", "confirmed"),
  ];
  const completedCount = async (name: any) => (await queues.get(name)!.getJobCounts("completed")).completed;
  await waitFor(async () =>
    (await completedCount("appointment-reminder")) === 1 &&
    (await completedCount("appointment-status")) === 1 &&
    (await completedCount("follow-up-monitor")) >= 2 &&
    (await completedCount("medication-reminder")) >= 2 &&
    (await completedCount("adherence-check")) >= 2, "every queue to complete its jobs");
  const completed: Record<string, unknown[]> = {};
  for (const [name, queue] of queues) completed[name] = (await queue.getCompleted()).map(jobJson);
  process.kill(process.pid, "SIGTERM"); // the platform stopping the worker
  await worker;
  await producers.close();
  out({ results, delayedReminders, completed });
} else if (command === "race") {
  const producers = await Producers.open();
  const startsAt = new Date(Date.now() + 2 * 24 * 3600_000);
  const results = await Promise.all([1, 2, 3, 4, 5].map(() => producers.appointmentReminder("apt-77", startsAt)));
  const delayed = (await producers.queues!.get("appointment-reminder")!.getDelayed()).map((j) => j.id);
  await producers.close();
  out({ results, delayed });
} else if (command === "produce") {
  const producers = await Producers.open();
  const later = new Date(Date.now() + 3 * 24 * 3600_000);
  const results = [
    await producers.appointmentReminder("apt-1", later),
    await producers.medicationReminder("rx-2"),
    await producers.adherenceCheck(),
    await producers.followUpMonitor(),
    await producers.appointmentStatus("apt-1", "cancelled"),
  ];
  await producers.close();
  out(results);
} else if (command === "disabled") {
  const producers = await Producers.open();
  const startsAt = new Date(Date.now() + 24 * 3600_000);
  const results = [
    await producers.appointmentReminder("apt-1", startsAt),
    await producers.appointmentReminder("apt-2", startsAt),
    await producers.medicationReminder("rx-1"),
    await producers.adherenceCheck(),
    await producers.followUpMonitor(),
    await producers.appointmentStatus("apt-1", "confirmed"),
    await producers.appointmentStatus("apt-2", "confirmed"),
  ];
  await producers.close();
  await runWorkers(); // returns at once: no worker
  out({ results, skipped: Object.fromEntries(producers.skipped) });
} else if (command === "open") {
  try {
    await (await Producers.open()).close();
    out({ opened: true });
  } catch (error: any) {
    out({ opened: false, name: error.name, id: error.id, message: error.message });
  }
} else if (command === "admin") {
  const queues = new Map(QUEUE_NAMES.map((name) => [name, makeQueue(name)]));
  const counts = Object.fromEntries(await queueCounts(queues));
  const failed: Record<string, unknown> = {};
  const retried: Record<string, number> = {};
  for (const [name, queue] of queues) {
    failed[name] = await failedJobs(queue);
    if (values.retry) retried[name] = await retryFailed(queue);
  }
  await Promise.all([...queues.values()].map((queue) => queue.close()));
  out({ counts, failed, retried });
} else if (command === "names") {
  let error = "";
  try {
    makeQueue("appointment-reminders" as any);
  } catch (e: any) {
    error = e.message;
  }
  out({ error, processors: Object.keys(PROCESSORS), options: WORKER_OPTIONS });
} else if (command === "missing-connection") {
  // What the old guide did: no connection given, so BullMQ falls back to 127.0.0.1:6379 and
  // ioredis prints each refused attempt; add() waits for a connection that never comes.
  const queue = new Queue("appointment-status", { prefix: PREFIX } as any);
  const added = queue.add("update-status", { appointmentId: "apt-1", status: "confirmed" });
  const outcome = await Promise.race([
    added.then(() => "added", (error: Error) => `rejected: ${error.message}`),
    sleep(3000).then(() => "still waiting after 3 s"),
  ]);
  out({ outcome });
  process.exit(0);
} else if (command === "interop-produce") {
  // The TS producers feed whichever worker runs: two ok jobs, a reminder due now, and one
  // job the worker will refuse (fast backoff so its three tries take well under a second).
  const producers = await Producers.open();
  const results = [
    await producers.appointmentStatus("apt-1", "confirmed"),
    await producers.appointmentStatus("apt-2", "cancelled"),
    await producers.appointmentReminder("apt-3", new Date(), 0),
  ];
  const queue = makeQueue("appointment-status");
  const failing = await queue.add("update-status", { appointmentId: "apt-4", status: "confirmed", fail: true },
    { backoff: { type: "exponential", delay: 100 } });
  await queue.close();
  await producers.close();
  out({ results, failing: failing.id });
} else if (command === "interop-schedule") {
  const producers = await Producers.open();
  const results = [
    await producers.followUpMonitor(Number(values.every)),
    await producers.medicationReminder("rx-7", "* * * * * *"), // every second
  ];
  await producers.close();
  out(results);
} else if (command === "jobs") {
  // What the TS side sees of the jobs some worker (any language) finished.
  const result: Record<string, unknown> = {};
  for (const name of values.queues.split(",") as any[]) {
    const queue = makeQueue(name);
    result[name] = {
      completed: (await queue.getCompleted()).map(jobJson),
      failed: (await queue.getFailed()).map(jobJson),
      schedulers: (await queue.getJobSchedulers()).map((s: any) => ({ id: s.key, every: s.every, pattern: s.pattern })),
    };
    await queue.close();
  }
  out(result);
} else if (command === "bench") {
  // Jobs were added beforehand; time one worker from its start until --jobs are processed.
  const total = Number(values.jobs);
  let processed = 0;
  let finish = () => {};
  const done = new Promise<void>((resolve) => (finish = resolve));
  const started = performance.now();
  const worker = new Worker("appointment-status", async () => {
    if (++processed === total) finish();
    return null;
  }, { prefix: PREFIX, connection: workerConnection(), concurrency: Number(values.concurrency) });
  await done;
  const seconds = (performance.now() - started) / 1000;
  await worker.close();
  out({ jobs: total, seconds, jobs_per_s: total / seconds });
} else {
  console.error(`unknown command ${command}`);
  process.exit(2);
}
