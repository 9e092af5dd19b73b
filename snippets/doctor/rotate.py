"""Rotating a leaked Redis password: set the new one, end old sessions, prove the old one fails.

Shown on docs/troubleshooting/password-rotation.md. On a managed service (Render, Heroku,
Railway, Upstash) the provider rotates the password; the last two steps apply everywhere.
Run ``OLD_REDIS_URL=… python -m snippets.doctor.rotate`` after the redeploy.
"""

from __future__ import annotations

import os

import redis

from snippets.config.client import make_client
from snippets.config.settings import load_settings


# --8<-- [start:rotate]
def rotate_password(admin: redis.Redis, user: str, new_password: str) -> None:
    """Self-hosted Redis 6+: replace every password of ``user``; its rules stay as they were."""
    admin.execute_command("ACL", "SETUSER", user, "resetpass", f">{new_password}")


# --8<-- [end:rotate]


# --8<-- [start:end-old-sessions]
def end_sessions(admin: redis.Redis, user: str) -> int:
    """Close every connection of ``user``: a new password does not log anyone out.

    Run it after the redeploy: the app reconnects with the new password, anyone still
    holding a connection opened with the old one is cut off. Returns how many were closed.
    """
    return admin.client_kill_filter(user=user, skipme=True)


# --8<-- [end:end-old-sessions]


# --8<-- [start:verify]
def old_password_refused(old_url: str) -> bool:
    """True when the server refuses the old credentials: the leaked password is dead."""
    # The app's client class: its errors never carry the password (a server without HELLO
    # echoes "HELLO 3 AUTH user password" back).
    client = make_client("rotation", load_settings({"REDIS_URL": old_url}))
    try:
        client.ping()
    except redis.AuthenticationError:  # WRONGPASS, or NOAUTH for a now-passworded server
        return True
    finally:
        client.close()
    return False


def new_password_works() -> bool:
    """The app's own client, from the redeployed REDIS_URL, can PING."""
    client = make_client()
    try:
        return bool(client.ping())
    finally:
        client.close()


# --8<-- [end:verify]


if __name__ == "__main__":
    import sys

    refused = old_password_refused(os.environ["OLD_REDIS_URL"])
    works = new_password_works()
    print(f"old password refused: {refused}; new password works: {works}")
    sys.exit(0 if refused and works else 1)
