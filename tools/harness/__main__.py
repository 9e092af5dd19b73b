"""``make redis``: run the embedded Valkey (or --kind redis) on a fixed port until Ctrl-C.

    python -m tools.harness [--port 6379] [--kind valkey|redis] [--password PW]
"""

from __future__ import annotations

import argparse
import signal

from tools.harness.factory import started
from tools.harness.kinds import ALL_KIND_NAMES, discover_kinds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.harness", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--port", type=int, default=6379)
    parser.add_argument("--kind", choices=ALL_KIND_NAMES, default="valkey")
    parser.add_argument("--password", default=None)
    args = parser.parse_args(argv)
    kind = discover_kinds().get(args.kind)
    if kind is None:
        parser.error(f"server kind {args.kind!r} is not available on this machine")
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # clean up on SIGTERM too
    with started(kind, port=args.port, password=args.password) as server:
        print(f"{kind} listening on {server.url()}  (Ctrl-C stops it; data is thrown away)")
        try:
            server.proc.wait()
        except KeyboardInterrupt:
            print("\nstopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
