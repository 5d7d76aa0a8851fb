"""Request rate limits with Flask-Limiter: one limiter per app, counting where
RATELIMIT_STORAGE_URI says (memory in the embedded default, Redis in production). Packages
register their own limits on it (the API per token and per address); a webhook counts only
the requests it refuses (`count_refusal`)."""

from __future__ import annotations

import logging
import math
import time

from flask import Flask, current_app, request
from flask_babel import gettext as _
from flask_limiter import Limiter
from limits import parse_many

EXTENSION = "returnees.limiter"
logger = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    limiter = Limiter(key_func=client_address)
    limiter.init_app(app)
    app.extensions[EXTENSION] = limiter


def limiter_of(app: Flask) -> Limiter:
    return app.extensions[EXTENSION]


def client_address() -> str:
    """The caller's address (the proxy's X-Forwarded-For when PROXY_FIX_HOPS trusts it)."""
    return request.remote_addr or "unknown"


def refusal_message() -> str:
    return _("Too many requests: wait the seconds given in Retry-After, then try again.")


def count_refusal(setting: str, scope: str) -> int | None:
    """Count one refused request against the caller's address under the limits of `setting`;
    once past them, the seconds to wait before another is read (None: not past them)."""
    limiter = limiter_of(current_app)
    if not limiter.enabled:
        return None
    identifiers = (scope, client_address())
    try:
        for item in parse_many(current_app.config[setting]):
            if not limiter.limiter.hit(item, *identifiers):
                reset_at = limiter.limiter.get_window_stats(item, *identifiers).reset_time
                return max(1, math.ceil(reset_at - time.time()))
    except Exception:  # the storage's own errors (Redis down): as RATELIMIT_SWALLOW_ERRORS does
        logger.exception("rate limit storage unreachable: %s not counted", scope)
    return None
