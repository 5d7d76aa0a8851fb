"""Errors that services raise; the web and the API turn each into its status and message.

Messages are lazy translations, rendered in the language of whoever reads them.
"""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: object, fields: Mapping[str, list[object]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})

    def in_words(self) -> str:
        """The message and every field's, in one line: for a flash after a refused change."""
        return " ".join([str(self.message), *(str(m) for ms in self.fields.values() for m in ms)])

    def as_json(self) -> dict[str, object]:
        """The API's error body: messages in the language of the request."""
        fields = {name: [str(text) for text in texts] for name, texts in self.fields.items()}
        return {"error": {"code": self.code, "message": str(self.message), "fields": fields}}


class InvalidInput(DomainError):
    status = 422
    code = "invalid_input"


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class OutOfScope(Forbidden):
    """A record that exists but lies outside the actor's scope, answered 403. It names the
    record, so that the refusal is written to the audit trail with its id."""

    def __init__(self, message: object, record_type: str, record_id: object) -> None:
        super().__init__(message)
        self.record = (record_type, str(record_id))


class HiddenOutOfScope(NotFound):
    """The same refusal answered 404, as if the record did not exist (where a 403 would tell
    that it does)."""

    def __init__(self, message: object, record_type: str, record_id: object) -> None:
        super().__init__(message)
        self.record = (record_type, str(record_id))
