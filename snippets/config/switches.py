"""The app's switches (DISABLE_BACKGROUND_JOBS, CACHE_PROVIDER): one parser for every module.

The accepted values live in ``switches.json`` beside this file, which the TypeScript twin
reads too, so both languages accept exactly the same words. A value outside the list is a
configuration error (``config.invalid-switch``), never a silent default: ``=on`` once meant
"off" to one module and "on" to another. Shown on docs/troubleshooting/config.md.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

SPEC = json.loads((Path(__file__).with_name("switches.json")).read_text(encoding="utf-8"))
TRUE_WORDS = frozenset(SPEC["boolean"]["true"])
FALSE_WORDS = frozenset(SPEC["boolean"]["false"])


class SwitchError(ValueError):
    """A switch holds a value outside its accepted list. Carries the doctor's check id."""

    check_id = "config.invalid-switch"

    def __init__(self, name: str, value: str, accepted: list[str]) -> None:
        self.name = name
        shown = value.strip()[:40].encode("unicode_escape").decode("ascii")
        super().__init__(f"{name}={shown!r} is not one of: {', '.join(accepted)}")


# --8<-- [start:switch]
def switch(name: str, env: Mapping[str, str] = os.environ) -> bool | str:
    """The value of one switch: True/False for a boolean, the choice for a choice."""
    spec = SPEC["switches"][name]
    raw = env.get(name)
    if raw is None:
        return spec["default"]
    value = raw.strip().lower()
    if spec["kind"] == "boolean":
        if value in TRUE_WORDS:
            return True
        if value in FALSE_WORDS:
            return False
        words = SPEC["boolean"]["true"] + SPEC["boolean"]["false"]
        raise SwitchError(name, raw, [w for w in words if w])
    if value == "":
        return spec["default"]
    if value not in spec["choices"]:
        raise SwitchError(name, raw, spec["choices"])
    return value


def background_jobs_enabled(env: Mapping[str, str] = os.environ) -> bool:
    """Queues run unless DISABLE_BACKGROUND_JOBS is true (true, 1, yes or on)."""
    return not switch("DISABLE_BACKGROUND_JOBS", env)


# --8<-- [end:switch]


if __name__ == "__main__":
    for name in SPEC["switches"]:
        try:
            print(f"{name}: {switch(name)!r}")
        except SwitchError as error:
            print(f"{name}: {error}")
