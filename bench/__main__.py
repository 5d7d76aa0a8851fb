"""`python -m bench [NAME ...]`: run the benchmarks (all of them by default)."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = (
    "api_overhead",
    "audit",
    "reception",
    "messaging",
    "followups",
    "queue",
    "risk",
    "urgent",
    "duplicates",
    "reports",
)


def main(names: list[str]) -> None:
    for name in names or BENCHMARKS:
        if name not in BENCHMARKS:
            raise SystemExit(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}")
        importlib.import_module(f"bench.{name}").main()


if __name__ == "__main__":
    main(sys.argv[1:])
