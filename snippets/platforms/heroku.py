"""Heroku Key-Value Store: accept the add-on's self-signed certificate, explicitly.

Shown on docs/platforms/heroku.md and docs/quickstart/heroku.md. Heroku sets (and rotates)
``REDIS_URL``; you cannot add options to it in the dashboard, so the app adds
``ssl_cert_reqs=none`` when it reads it.
Run ``python -m snippets.platforms.heroku`` (``heroku run …``) to connect and describe.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

# --8<-- [start:heroku-env]
HEROKU_TLS_OPTION = "ssl_cert_reqs=none"  # lower-case: redis-py 8 rejects "None"


def heroku_env(env: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The environment with Heroku's rediss:// REDIS_URL told to skip certificate checks.

    The connection stays encrypted, but the client no longer proves it reached Heroku's
    server: anyone able to intercept the traffic could pose as it. Use it only for the
    Heroku add-on, whose certificate is self-signed and cannot be verified.
    """
    url = env.get("REDIS_URL", "").strip()
    if not url.startswith("rediss://") or "ssl_cert_reqs=" in url:
        return dict(env)  # not TLS, or the option is already there: leave it alone
    separator = "&" if "?" in url else "?"
    return {**env, "REDIS_URL": f"{url}{separator}{HEROKU_TLS_OPTION}"}


# --8<-- [end:heroku-env]

if __name__ == "__main__":
    from snippets.config.client import make_client
    from snippets.config.settings import load_settings
    from snippets.platforms.smoke import describe

    # --8<-- [start:usage]
    settings = load_settings(heroku_env())
    client = make_client("cache", settings)
    # --8<-- [end:usage]
    print(f"connected to {settings.target} (warnings: {list(settings.findings)})")
    for key, value in describe(client).items():
        print(f"  {key}: {value}")
    client.close()
