"""The worker process: one BullMQ Worker per queue, concurrency, graceful SIGTERM shutdown.

Shown on docs/usage/queues.md. Run it as its own process (a Render background worker, a
Heroku ``worker`` dyno): ``python -m snippets.queues.worker``. It stops on SIGTERM after the
jobs in hand finish; a job cut off by SIGKILL is re-queued by another worker once its lock
expires (the stalled-job check).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from bullmq import Job, Worker

from snippets.config.async_client import redact_errors
from snippets.config.settings import RedisSettings, load_settings
from snippets.queues.definitions import (
    PREFIX,
    background_jobs_enabled,
    check_queue_server,
    connection_options,
    producer_client,
)

log = logging.getLogger("pharmacare.queues")
Processor = Callable[[Job, str], Awaitable[Any]]


# --8<-- [start:processors]
# Each processor gets ids, loads what it needs from the database, does the work, and
# returns a small JSON-able result. Raising an exception fails the attempt: BullMQ retries
# it with backoff, and after the third try the job stays in "failed" with the error.
async def send_appointment_reminder(job: Job, token: str) -> dict:
    appointment_id = job.data["appointmentId"]
    # appointment = await db.appointments.get(appointment_id); await sms.send(...)
    return {"reminded": appointment_id}


async def check_follow_ups(job: Job, token: str) -> dict:
    return {"checked": "follow-ups"}


async def send_medication_reminder(job: Job, token: str) -> dict:
    return {"reminded": job.data["prescriptionId"]}


async def check_adherence(job: Job, token: str) -> dict:
    return {"checked": "adherence"}


async def update_appointment_status(job: Job, token: str) -> dict:
    return {"appointment": job.data["appointmentId"], "status": job.data["status"]}


PROCESSORS: dict[str, Processor] = {
    "appointment-reminder": send_appointment_reminder,
    "follow-up-monitor": check_follow_ups,
    "medication-reminder": send_medication_reminder,
    "adherence-check": check_adherence,
    "appointment-status": update_appointment_status,
}
# --8<-- [end:processors]

# --8<-- [start:options]
WORKER_OPTIONS: dict[str, Any] = {
    "concurrency": 5,  # jobs in flight per queue in this process (they await I/O)
    "lockDuration": 30_000,  # ms a job stays locked without renewal (renewed every 15 s)
    "stalledInterval": 30_000,  # ms between checks for jobs whose worker died
    "maxStalledCount": 1,  # re-queue a stalled job once; a second stall fails it
}
# --8<-- [end:options]


# --8<-- [start:run]
async def run_workers(
    env: Mapping[str, str] = os.environ,
    processors: Mapping[str, Processor] = PROCESSORS,
    settings: RedisSettings | None = None,
    **options: Any,
) -> None:
    """Process all queues until SIGTERM or SIGINT, then finish the jobs in hand and exit."""
    if not background_jobs_enabled(env):
        log.warning("DISABLE_BACKGROUND_JOBS=true: no worker started, no reminders are sent")
        return
    settings = settings or load_settings(env)
    client = producer_client(settings)
    try:
        await check_queue_server(client, settings)  # refuses an evicting server
    finally:
        await client.aclose()

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    opts = {
        "prefix": PREFIX,
        "connection": connection_options(settings),
        "name": "pharmacare-worker",
        **WORKER_OPTIONS,
        **options,
    }
    workers = [Worker(name, fn, opts) for name, fn in processors.items()]
    for worker in workers:  # BullMQ's own clients: errors without the password, too
        redact_errors(worker.client)
        redact_errors(worker.bclient)
    log.info("worker started: %s", ", ".join(processors))
    await stop.wait()
    log.info("SIGTERM: finishing the jobs in hand, taking no new ones")
    await close_workers(workers)
    log.info("worker stopped")


async def close_workers(workers: Sequence[Worker], startup_wait: float = 10.0) -> None:
    """Finish the jobs in hand and leave no connection open.

    BullMQ for Python names its two connections when a worker's loop starts (Worker.run);
    a close() during that step lets the loop open a connection again afterwards, which
    nobody closes. So wait (bounded) for the loops to be running, close, then close the
    clients once more (closing a closed client does nothing).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + startup_wait
    while not all(w.running or w.closed for w in workers) and loop.time() < deadline:
        await asyncio.sleep(0.01)
    await asyncio.gather(*(worker.close() for worker in workers))  # waits for active jobs
    for worker in workers:
        await worker.client.aclose()
        await worker.bclient.aclose()


# --8<-- [end:run]


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(run_workers())
