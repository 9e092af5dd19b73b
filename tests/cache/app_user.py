"""Servers for the cache and presence tests: the app connects as the Security page's ACL user.

The user is defined in the server's config (``user …`` lines), not with ACL SETUSER, so it
survives the kill -9 / restart of the fault tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from snippets.security.acl import APP_USERNAME, acl_rules
from tools import harness


@dataclass
class AppServer:
    server: harness.Server
    app_password: str

    @property
    def url(self) -> str:
        """REDIS_URL as the app gets it: the least-privilege user, not the admin."""
        return self.server.url(username=APP_USERNAME, password=self.app_password)


def start(factory: harness.ServerFactory, **options) -> AppServer:
    app_password = harness.random_password()
    spec = " ".join([APP_USERNAME, *acl_rules(app_password)])
    server = factory(password=harness.random_password(), acl_users=(spec,), **options)
    return AppServer(server, app_password)


def command_calls(server: harness.Server) -> dict[str, int]:
    """Calls per command since start, from INFO commandstats (e.g. {"scan": 3})."""
    stats = server.info("commandstats")
    return {name.removeprefix("cmdstat_"): value["calls"] for name, value in stats.items()}
