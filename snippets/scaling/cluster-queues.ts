// BullMQ queues on a cluster: the app's queues with an ioredis Cluster connection, same prefix.
//
// The TypeScript twin of snippets/scaling/cluster_queues.py, shown beside it on
// docs/operations/scaling.md. Run `node scaling/cluster-queues.ts` (in snippets/) with
// REDIS_URL pointing at any node of a cluster: it adds one job and processes it.
import { Queue, Worker } from "bullmq";
import type { Job, Processor } from "bullmq";
import { Cluster } from "ioredis";
import { retryStrategy } from "../config/client.ts";
import { loadSettings } from "../config/settings.ts";
import { DEFAULT_JOB_OPTIONS, PREFIX, QUEUE_NAMES } from "../queues/definitions.ts"; // "{pharmacare}"

// --8<-- [start:queue-on-cluster]
/**
 * An ioredis Cluster for BullMQ, from the same REDIS_URL (any node). BullMQ takes the Cluster
 * instance as its `connection`; maxRetriesPerRequest: null, as for any BullMQ connection,
 * so a worker's blocking wait survives a reconnect instead of failing after 3 retries.
 * BullMQ does not close a connection it was given: quit it after closing queues and workers.
 */
export function clusterConnection(purpose = "queue"): Cluster {
  const { host, port, db: _db, ...auth } = loadSettings().redisOptions(); // username, password, tls
  return new Cluster([{ host, port }], {
    redisOptions: { ...auth, connectionName: `pharmacare-${purpose}`, connectTimeout: 5_000, maxRetriesPerRequest: null },
    clusterRetryStrategy: retryStrategy, // keep trying: a worker waits for the cluster to come back
  });
}

/** A producer-side queue on the cluster: the app's prefix "{pharmacare}" (one slot per queue). */
export function createClusterQueue(name: string, connection: Cluster): Queue {
  if (!(QUEUE_NAMES as readonly string[]).includes(name)) throw new RangeError(`unknown queue '${name}'`);
  return new Queue(name, {
    prefix: PREFIX,
    connection,
    defaultJobOptions: DEFAULT_JOB_OPTIONS,
  });
}

/** A worker on the cluster: the same prefix, or it waits on keys nobody writes. */
export function createClusterWorker<R>(name: string, process: Processor<unknown, R>, connection: Cluster): Worker {
  return new Worker(name, process, { prefix: PREFIX, connection });
}
// --8<-- [end:queue-on-cluster]

if (import.meta.main) {
  const producer = clusterConnection();
  const consumer = clusterConnection("worker");
  const queue = createClusterQueue("appointment-status", producer);
  const { promise: processed, resolve: done } = Promise.withResolvers<string>();
  const worker = createClusterWorker("appointment-status", async (job: Job) => {
    const data = job.data as { appointmentId: string };
    done(String(job.id));
    return `status of ${data.appointmentId} updated`;
  }, consumer);
  try {
    await queue.add("update-status", { appointmentId: "apt-1", status: "confirmed" });
    console.log(`job ${await processed} processed on the cluster; prefix ${PREFIX}`);
  } finally {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
    await Promise.all([producer.quit(), consumer.quit()]);
  }
}
