"""How big a benchmark runs: as written, or tiny for the smoke run of the test suite.

`BENCH_SMOKE=1` (tests/bench/test_benchmarks_run.py sets it) runs each benchmark once at a size
that only shows it still runs to its end; its figures mean nothing. The data sizes that have
their own variables (BENCH_PEOPLE, BENCH_CHECK_INS) are set by the smoke run through them.
"""

from __future__ import annotations

import os
from typing import TypeVar

Size = TypeVar("Size", int, float)


def smoke() -> bool:
    return os.environ.get("BENCH_SMOKE") == "1"


def sized(full: Size, tiny: Size) -> Size:
    """`full`, or `tiny` in the smoke run."""
    return tiny if smoke() else full
