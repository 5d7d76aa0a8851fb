"""The process's loaded heap, set aside from the garbage collector's full passes."""

from __future__ import annotations

import gc


def settle_heap() -> None:
    """Set aside what a web or worker process has loaded once and for all (the app, its models,
    its libraries: some 160,000 objects) from the garbage collector's full passes.

    A request or a job that handles thousands of rows triggers several such passes, and each
    walked all of it: about 90 ms a pass, a tenth of the nightly risk run, and a share of every
    flight's registration. Called once the app is built (wsgi.py, and the worker).
    """
    gc.collect()
    gc.freeze()
