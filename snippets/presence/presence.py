"""Real-time presence: online users, last seen and custom status, shared by app instances.

Shown on docs/usage/presence.md. The Python version of the seed's Socket.io presence in
``server.ts``. Each app instance keeps the users connected to it in memory and heartbeats
them into one sorted set (score = time of the last heartbeat); instances tell each other
about changes over pub/sub. Redis holds nothing that heartbeats cannot rebuild.
Run ``python -m snippets.presence.presence`` to start two instances and watch them talk.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable

import redis

log = logging.getLogger("pharmacare.presence")

# --8<-- [start:keys]
ONLINE = "pharmacare:presence:v1:online"  # ZSET user -> last heartbeat (ms), pruned
LAST_SEEN = "pharmacare:presence:v1:last-seen"  # ZSET user -> last heartbeat (ms), kept
STATUS = "pharmacare:presence:v1:status"  # HASH user -> custom status ("In a consultation")
EVENTS = "pharmacare:presence:v1:events"  # pub/sub channel: online, offline, status

HEARTBEAT_EVERY = 15.0  # seconds between heartbeats of one instance
OFFLINE_AFTER = 45.0  # no heartbeat for this long (3 missed beats): the user is offline
BATCH = 500  # heartbeats per pipeline round trip
# --8<-- [end:keys]

Event = dict[str, str]


def _check_text(*values: str | None) -> None:
    """User ids and statuses are stored as UTF-8: a lone surrogate (e.g. half an emoji
    from a bad client) cannot be, and would fail every heartbeat after it."""
    for value in values:
        if value is not None:
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("not valid text (a lone surrogate): refused") from None


def now_ms() -> int:
    # Instances compare each other's timestamps: keep their clocks in sync (NTP).
    return int(time.time() * 1000)


class Presence:
    """Presence for one app instance: the users connected here, shared through Redis."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        heartbeat_every: float = HEARTBEAT_EVERY,
        offline_after: float = OFFLINE_AFTER,
        instance: str | None = None,
    ) -> None:
        self.client = client
        self.heartbeat_every, self.offline_after = heartbeat_every, offline_after
        self.instance = instance or uuid.uuid4().hex[:8]
        self.local: dict[str, str | None] = {}  # user -> custom status, for this instance
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._pubsub_worker: redis.client.PubSubWorkerThread | None = None
        self._down = False

    # --8<-- [start:connect]
    def _publish(self, pipe: redis.client.Pipeline, event: str, user: str, **extra: str) -> None:
        message = {"event": event, "user": user, "instance": self.instance, **extra}
        pipe.publish(EVENTS, json.dumps(message))

    def connect(self, user: str, status: str | None = None) -> None:
        """A user's socket connected to this instance."""
        _check_text(user, status)  # rejected here, or every later heartbeat would fail
        with self._lock:
            self.local[user] = status
        ts = now_ms()
        with self.client.pipeline(transaction=False) as pipe:
            pipe.zadd(ONLINE, {user: ts})
            pipe.zadd(LAST_SEEN, {user: ts})
            if status is not None:
                pipe.hset(STATUS, user, status)
            self._publish(pipe, "online", user)
            pipe.execute()

    def disconnect(self, user: str) -> None:
        """The user's socket closed. (Another instance holding a second socket of the same
        user re-adds it on its next heartbeat, without an "online" event.)"""
        with self._lock:
            self.local.pop(user, None)
        with self.client.pipeline(transaction=False) as pipe:
            pipe.zrem(ONLINE, user)
            pipe.zadd(LAST_SEEN, {user: now_ms()})
            self._publish(pipe, "offline", user)
            pipe.execute()

    def set_status(self, user: str, status: str) -> None:
        """A custom status, e.g. "In a consultation", shown to everyone."""
        _check_text(user, status)
        with self._lock:
            if user in self.local:
                self.local[user] = status
        with self.client.pipeline(transaction=False) as pipe:
            pipe.hset(STATUS, user, status)
            self._publish(pipe, "status", user, status=status)
            pipe.execute()

    # --8<-- [end:connect]

    # --8<-- [start:heartbeat]
    def beat(self) -> int:
        """Heartbeat every local user: a few pipelined round trips, not one per user.
        Also rebuilds presence after Redis lost its data (a restart without persistence)."""
        with self._lock:
            users = list(self.local.items())
        ts = now_ms()
        for start in range(0, len(users), BATCH):
            chunk = users[start : start + BATCH]
            beats = {user: ts for user, _ in chunk}
            with self.client.pipeline(transaction=False) as pipe:
                pipe.zadd(ONLINE, beats)
                pipe.zadd(LAST_SEEN, beats)
                statuses = {user: status for user, status in chunk if status is not None}
                if statuses:
                    pipe.hset(STATUS, mapping=statuses)
                pipe.execute()
        return len(users)

    # --8<-- [end:heartbeat]

    # --8<-- [start:read]
    def online(self) -> list[str]:
        """Users with a heartbeat in the last OFFLINE_AFTER seconds, on any instance.
        Ghosts (users of a crashed instance) drop out of this list on their own."""
        since = now_ms() - int(self.offline_after * 1000)
        return [u.decode() for u in self.client.zrangebyscore(ONLINE, since, "+inf")]

    def last_seen(self, user: str) -> float | None:
        """Unix time of the user's last heartbeat, or None if never seen."""
        score = self.client.zscore(LAST_SEEN, user)
        return None if score is None else score / 1000

    def status(self, user: str) -> str | None:
        value = self.client.hget(STATUS, user)
        return None if value is None else value.decode()

    # --8<-- [end:read]

    # --8<-- [start:cleanup]
    def cleanup(self) -> list[str]:
        """Remove ghosts and announce them offline. Every instance may run this: ZREM
        reports who removed each ghost, so each offline event is published once."""
        cutoff = now_ms() - int(self.offline_after * 1000)
        ghosts = [u.decode() for u in self.client.zrangebyscore(ONLINE, "-inf", cutoff)]
        if not ghosts:
            return []
        with self.client.pipeline(transaction=False) as pipe:
            for user in ghosts:
                pipe.zrem(ONLINE, user)
            removed = pipe.execute()
        gone = [user for user, was_removed in zip(ghosts, removed, strict=True) if was_removed]
        with self.client.pipeline(transaction=False) as pipe:
            for user in gone:
                self._publish(pipe, "offline", user, reason="timeout")
            pipe.execute()
        return gone

    # --8<-- [end:cleanup]

    # --8<-- [start:run]
    def start(self, on_event: Callable[[Event], None]) -> None:
        """Heartbeat and clean up in a thread; call ``on_event`` for every presence change
        published by any instance (this one included), e.g. to push it to browsers."""
        pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(**{EVENTS: lambda message: on_event(json.loads(message["data"]))})
        pubsub.get_message(timeout=5.0)  # the confirmation: from here on we hear every event
        # redis-py resubscribes by itself after a reconnect; while Redis is down the
        # handler below keeps the thread alive and we retry.
        self._pubsub_worker = pubsub.run_in_thread(
            sleep_time=0.5, daemon=True, exception_handler=self._pubsub_error
        )
        thread = threading.Thread(target=self._loop, daemon=True, name="presence-heartbeat")
        self._threads.append(thread)
        thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.beat()
                self.cleanup()
                self._set_down(False)
            except Exception as error:
                # Unreachable, or answering with an error (OOM on a full noeviction
                # instance, NOPERM …): presence is best effort, try again next beat.
                self._set_down(True, error)
            self._stop.wait(self.heartbeat_every)

    def _pubsub_error(self, error: BaseException, pubsub, worker) -> None:
        log.debug("presence: event listener: %s", error)  # the heartbeat loop logs outages
        self._stop.wait(self.heartbeat_every / 3)

    def _set_down(self, down: bool, error: BaseException | None = None) -> None:
        with self._lock:
            if down and not self._down:  # log the outage once, not every beat
                if isinstance(error, (redis.ConnectionError, redis.TimeoutError)):
                    log.warning("presence: Redis unavailable (%s); retrying", type(error).__name__)
                else:
                    log.error("presence: heartbeat failed (%s); retrying", type(error).__name__)
            elif self._down and not down:
                log.info("presence: Redis available again; heartbeats rebuilt presence")
            self._down = down

    def stop(self) -> None:
        self._stop.set()
        if self._pubsub_worker is not None:
            self._pubsub_worker.stop()
            self._pubsub_worker.join(timeout=5)
        for thread in self._threads:
            thread.join(timeout=5)

    # --8<-- [end:run]


if __name__ == "__main__":
    from snippets.config.client import make_client

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    client = make_client("presence")
    seen: list[str] = []
    heard = threading.Condition()

    def on_event(event: Event) -> None:  # app-2 would push this to its browsers
        with heard:
            seen.append(f"app-2 heard: {event['event']} {event['user']}")
            heard.notify_all()

    a = Presence(client, heartbeat_every=0.2, offline_after=5.0, instance="app-1")
    b = Presence(client, heartbeat_every=0.2, offline_after=5.0, instance="app-2")
    b.start(on_event)
    a.connect("pharmacist-7", status="At the counter")
    b.connect("patient-42")
    a.set_status("pharmacist-7", "In a consultation")
    with heard:
        heard.wait_for(lambda: len(seen) == 3, timeout=10)
    print("online:", sorted(b.online()))
    print("status of pharmacist-7:", b.status("pharmacist-7"))
    a.disconnect("pharmacist-7")
    with heard:
        heard.wait_for(lambda: len(seen) == 4, timeout=10)
    print("online after disconnect:", sorted(a.online()))
    print(
        "pharmacist-7 last seen:",
        time.strftime("%H:%M:%S UTC", time.gmtime(a.last_seen("pharmacist-7"))),
    )
    b.stop()
    print("\n".join(seen))
