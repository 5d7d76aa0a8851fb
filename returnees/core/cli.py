"""What every CLI command shares: a service's error becomes a clear message and exit code 1."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

import click

from returnees.core.errors import DomainError

P = ParamSpec("P")
R = TypeVar("R")


def fail_on_domain_error(command: Callable[P, R]) -> Callable[P, R]:
    @wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except DomainError as error:
            details = "; ".join(
                f"{name}: {' '.join(str(text) for text in texts)}"
                for name, texts in error.fields.items()
            )
            raise click.ClickException(f"{error.message} {details}".strip()) from error

    return run
