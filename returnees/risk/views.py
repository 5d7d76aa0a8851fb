from __future__ import annotations

from flask import Blueprint

bp = Blueprint("risk", __name__)
