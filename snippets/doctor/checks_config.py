"""Doctor step 1: read the configuration exactly as the app does, before touching the network.

Shown on docs/troubleshooting/config.md.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from snippets.config.settings import RedisConfigError, RedisSettings, load_settings
from snippets.config.switches import SwitchError, switch
from snippets.config.url_inspect import inspect
from snippets.config.url_inspect_clients import describe_differences, read_clients, status
from snippets.doctor.report import Result, found


# --8<-- [start:jobs-enabled]
def background_jobs_enabled(env: Mapping[str, str] = os.environ) -> bool:
    """Queues run unless DISABLE_BACKGROUND_JOBS is true: then Redis is a cache only.
    The same parser as the queues and the startup check (snippets/config/switches.py)."""
    return not switch("DISABLE_BACKGROUND_JOBS", env)


# --8<-- [end:jobs-enabled]


# --8<-- [start:check-configuration]
def check_configuration(
    env: Mapping[str, str] = os.environ,
) -> tuple[RedisSettings | None, list[Result]]:
    """load_settings() as the app calls it; a RedisConfigError becomes a failing row."""
    try:
        switches = [switch(name, env) for name in ("DISABLE_BACKGROUND_JOBS", "CACHE_PROVIDER")]
    except SwitchError as error:
        return None, [found(error.check_id, str(error))]
    try:
        settings = load_settings(env)
    except RedisConfigError as error:
        detail = str(error).split(": ", 1)[1]
        results = [Result(error.check_id, "fail", detail)]
        url = env.get("REDIS_URL", "")
        if url.strip():  # the warnings that explain a broken URL (e.g. an unencoded '@')
            results += [_finding(f, url) for f in inspect(url)["findings"]]
        return None, results
    jobs = "off (DISABLE_BACKGROUND_JOBS)" if switches[0] else "on"
    production = "production" if settings.production else "not production"
    summary = f"from {settings.source}: {settings.target}; {production}; background jobs {jobs}"
    findings = [found(f) for f in settings.findings]
    if settings.source == "REDIS_URL" and status(read_clients(env["REDIS_URL"])):
        # an app that passes REDIS_URL itself to redis-py or ioredis reads it differently
        findings.append(_finding("url.clients-disagree", env["REDIS_URL"]))
    return settings, [Result("config.missing", "pass", summary), *findings]


def _finding(check_id: str, url: str) -> Result:
    """A URL finding; url.clients-disagree names the fields, and fails where a client throws."""
    if check_id != "url.clients-disagree":
        return found(check_id)
    clients = read_clients(url)
    # in words from the readings --inspect shows: a host read out of the password is ***
    result = found(check_id, describe_differences(inspect(url)["clients"]))
    return Result(check_id, status(clients) or result.status, result.summary)


# --8<-- [end:check-configuration]


if __name__ == "__main__":
    settings, results = check_configuration()
    for result in results:
        print(f"{result.status:4}  {result.id:32} {result.summary}")
