"""Doctor step 1: read the configuration exactly as the app does, before touching the network.

Shown on docs/troubleshooting/doctor.md and docs/troubleshooting/config.md.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from snippets.config.settings import RedisConfigError, RedisSettings, load_settings
from snippets.config.url_inspect import inspect
from snippets.doctor.report import Result, found

OFF_WORDS = {"1", "true", "yes", "on"}


# --8<-- [start:jobs-enabled]
def background_jobs_enabled(env: Mapping[str, str] = os.environ) -> bool:
    """Queues run unless DISABLE_BACKGROUND_JOBS=true: then Redis is a cache only."""
    return env.get("DISABLE_BACKGROUND_JOBS", "").strip().lower() not in OFF_WORDS


# --8<-- [end:jobs-enabled]


# --8<-- [start:check-configuration]
def check_configuration(
    env: Mapping[str, str] = os.environ,
) -> tuple[RedisSettings | None, list[Result]]:
    """load_settings() as the app calls it; a RedisConfigError becomes a failing row."""
    try:
        settings = load_settings(env)
    except RedisConfigError as error:
        detail = str(error).split(": ", 1)[1]
        results = [Result(error.check_id, "fail", detail)]
        url = env.get("REDIS_URL", "")
        if url.strip():  # the warnings that explain a broken URL (e.g. an unencoded '@')
            results += [found(f) for f in inspect(url)["findings"]]
        return None, results
    jobs = "on" if background_jobs_enabled(env) else "off (DISABLE_BACKGROUND_JOBS)"
    production = "production" if settings.production else "not production"
    summary = f"from {settings.source}: {settings.target}; {production}; background jobs {jobs}"
    return settings, [Result("config.missing", "pass", summary), *map(found, settings.findings)]


# --8<-- [end:check-configuration]


if __name__ == "__main__":
    settings, results = check_configuration()
    for result in results:
        print(f"{result.status:4}  {result.id:32} {result.summary}")
