"""Producers: what the API enqueues (reminders, schedules, status updates) and what it returns.

Shown on docs/usage/queues.md. Payloads carry ids only: the worker looks the patient up in
the database, so no patient detail sits in Redis (or in a failed job's record for a week).
With ``DISABLE_BACKGROUND_JOBS=true`` nothing is enqueued and every call says "skipped".
Run ``python -m snippets.queues.producers`` to enqueue one job of each kind.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bullmq import Queue

from snippets.config.settings import RedisSettings, load_settings
from snippets.queues.definitions import (
    DEFAULT_JOB_OPTIONS,
    QUEUE_NAMES,
    background_jobs_enabled,
    check_queue_server,
    make_queue,
)

log = logging.getLogger("pharmacare.queues")


# --8<-- [start:result]
@dataclass(frozen=True)
class EnqueueResult:
    """What happened to one enqueue call. Check ``queued``: never assume the job exists."""

    queue: str
    status: str  # "queued", "duplicate" (already there), "scheduled" or "skipped"
    job_id: str | None = None  # None when skipped
    reason: str = ""

    @property
    def queued(self) -> bool:
        return self.status != "skipped"


# --8<-- [end:result]

REMINDER_LEAD = timedelta(hours=24)  # send the appointment reminder a day before


class Producers:
    """One per process: the five queues (or none when background jobs are disabled)."""

    def __init__(self, queues: dict[str, Queue] | None) -> None:
        self.queues = queues  # None: DISABLE_BACKGROUND_JOBS=true
        self.skipped: Counter[str] = Counter()  # jobs not enqueued, per queue (export it)
        self._warned: set[str] = set()

    # --8<-- [start:open]
    @classmethod
    async def open(
        cls, env: Mapping[str, str] = os.environ, settings: RedisSettings | None = None
    ) -> Producers:
        """At app startup. Raises QueueStartupError on an evicting server."""
        if not background_jobs_enabled(env):
            log.warning("DISABLE_BACKGROUND_JOBS=true: jobs will be skipped, not enqueued")
            return cls(None)
        settings = settings or load_settings(env)
        queues = {name: make_queue(name, settings) for name in QUEUE_NAMES}
        producers = cls(queues)
        try:
            await check_queue_server(queues[QUEUE_NAMES[0]].client, settings)
        except BaseException:
            await producers.close()
            raise
        return producers

    async def close(self) -> None:
        for queue in (self.queues or {}).values():
            await queue.close()

    # --8<-- [end:open]

    # --8<-- [start:skip]
    def _skip(self, queue: str) -> EnqueueResult:
        """Count the skipped job and warn once per queue: nothing will run it."""
        self.skipped[queue] += 1
        if queue not in self._warned:
            self._warned.add(queue)
            log.warning(
                "DISABLE_BACKGROUND_JOBS=true: %s jobs are skipped (counted, never sent)", queue
            )
        return EnqueueResult(queue, "skipped", reason="DISABLE_BACKGROUND_JOBS=true")

    # --8<-- [end:skip]

    async def _add(
        self, queue: str, name: str, data: dict[str, Any], opts: dict[str, Any]
    ) -> EnqueueResult:
        if self.queues is None:
            return self._skip(queue)
        q = self.queues[queue]
        if "jobId" in opts and await q.getJob(opts["jobId"]) is not None:
            return EnqueueResult(queue, "duplicate", opts["jobId"])  # BullMQ would ignore it
        job = await q.add(name, data, opts)
        return EnqueueResult(queue, "queued", job.id)

    async def _schedule(
        self, queue: str, scheduler_id: str, repeat: dict[str, Any], name: str, data: dict
    ) -> EnqueueResult:
        if self.queues is None:
            return self._skip(queue)
        # A scheduler's jobs do not inherit the queue's defaultJobOptions: pass them.
        job = await self.queues[queue].upsertJobScheduler(
            scheduler_id, repeat, name, data, DEFAULT_JOB_OPTIONS
        )
        return EnqueueResult(queue, "scheduled", job.id if job else None)

    # --8<-- [start:appointment-reminder]
    async def appointment_reminder(
        self, appointment_id: str, starts_at: datetime, lead: timedelta = REMINDER_LEAD
    ) -> EnqueueResult:
        """One reminder per appointment: the job id is derived from the appointment id,
        so booking twice (a retried HTTP request) cannot send two reminders."""
        send_at = starts_at - lead
        delay_ms = max(0, int((send_at - datetime.now(UTC)).total_seconds() * 1000))
        return await self._add(
            "appointment-reminder",
            "send-reminder",
            {"appointmentId": appointment_id},  # ids only: no name, phone or time
            {"jobId": f"reminder-{appointment_id}", "delay": delay_ms},
        )

    # --8<-- [end:appointment-reminder]

    # --8<-- [start:schedulers]
    async def medication_reminder(
        self, prescription_id: str, pattern: str = "0 8 * * *", tz: str = "UTC"
    ) -> EnqueueResult:
        """A cron schedule per prescription (default 08:00 daily in the patient's zone).
        Upserting again with the same id updates the schedule instead of adding one."""
        return await self._schedule(
            "medication-reminder",
            f"medication-{prescription_id}",
            {"pattern": pattern, "tz": tz},
            "send-medication-reminder",
            {"prescriptionId": prescription_id},
        )

    async def adherence_check(self, every: timedelta = timedelta(days=1)) -> EnqueueResult:
        """One fixed-interval schedule for the whole app (every 24 hours)."""
        return await self._schedule(
            "adherence-check",
            "adherence-check-daily",
            {"every": int(every.total_seconds() * 1000)},
            "check-adherence",
            {},
        )

    async def follow_up_monitor(self, every: timedelta = timedelta(hours=1)) -> EnqueueResult:
        """One fixed-interval sweep for overdue follow-ups."""
        return await self._schedule(
            "follow-up-monitor",
            "follow-up-monitor-hourly",
            {"every": int(every.total_seconds() * 1000)},
            "check-follow-ups",
            {},
        )

    # --8<-- [end:schedulers]

    # --8<-- [start:appointment-status]
    async def appointment_status(self, appointment_id: str, status: str) -> EnqueueResult:
        """An appointment changed state ("confirmed", "cancelled", "completed", …)."""
        return await self._add(
            "appointment-status",
            "update-status",
            {"appointmentId": appointment_id, "status": status},
            {},
        )

    # --8<-- [end:appointment-status]


async def _demo() -> None:
    producers = await Producers.open()
    try:
        starts_at = datetime.now(UTC) + timedelta(days=2)
        for result in (
            await producers.appointment_reminder("apt-1001", starts_at),
            await producers.appointment_reminder("apt-1001", starts_at),  # a retried request
            await producers.medication_reminder("rx-2002"),
            await producers.adherence_check(),
            await producers.follow_up_monitor(),
            await producers.appointment_status("apt-1001", "confirmed"),
        ):
            print(result)
        print("skipped:", dict(producers.skipped))
    finally:
        await producers.close()


if __name__ == "__main__":
    import asyncio

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(_demo())
