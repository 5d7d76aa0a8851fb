"""What the reports and exports of /api/v1 read from the query string and answer."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from returnees.reports.cohorts import DIMENSIONS

_DIMENSION = "|".join(DIMENSIONS)
BY_PATTERN = rf"^({_DIMENSION})(,({_DIMENSION}))*$"
DEPARTMENT_PATTERN = r"^[A-Za-z]{2}-\d{2}$"


class CohortFiltersSchema(Schema):
    """Which arrivals: at one centre, followed by one office, living in one department, or
    returned to one country (codes)."""

    centre = fields.String(load_default="", validate=validate.Length(max=32))
    office = fields.String(load_default="", validate=validate.Length(max=32))
    department = fields.String(
        load_default="",
        validate=validate.Regexp(DEPARTMENT_PATTERN),
        metadata={"example": "GT-12"},
    )
    country = fields.String(load_default="", validate=validate.OneOf(["", "GT", "HN", "SV"]))


class OutcomeQuerySchema(CohortFiltersSchema):
    from_ = fields.Date(required=True, data_key="from", metadata={"example": "2026-01-01"})
    to = fields.Date(required=True, metadata={"example": "2026-06-30"})
    by = fields.String(
        load_default="",
        validate=validate.Regexp(BY_PATTERN),
        metadata={"description": "groups, separated by commas: " + ", ".join(DIMENSIONS)},
    )


class TrendQuerySchema(CohortFiltersSchema):
    to = fields.Date(
        required=True,
        metadata={"description": "a day of the last month shown", "example": "2026-11-30"},
    )


class OutcomeRowSchema(Schema):
    group = fields.Dict(keys=fields.String(), values=fields.String())
    values = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        metadata={"description": 'a count, "<5" (a small cell hidden) or "pending"'},
    )


class OutcomeReportSchema(Schema):
    from_ = fields.String(data_key="from")
    to = fields.String()
    by = fields.List(fields.String())
    filters = fields.Dict(keys=fields.String(), values=fields.String())
    figures = fields.List(fields.String())
    rows = fields.List(fields.Nested(OutcomeRowSchema))
    total = fields.Dict(keys=fields.String(), values=fields.Raw())
    surveys = fields.Raw(
        allow_none=True,
        metadata={
            "description": "survey scores per wave: `waves` (days), `figures` "
            "(survey_day_<day>_people, survey_day_<day>_<economic|social|psychosocial|composite>"
            " medians 0 to 1), `rows` as above (month by month, a row per month of arrival)"
            ' and `total`; "<5" where hidden'
        },
    )


class ExportQuerySchema(CohortFiltersSchema):
    format = fields.String(load_default="csv", validate=validate.OneOf(["csv", "xlsx"]))
    pseudonymised = fields.Boolean(load_default=False)
    recipient = fields.String(
        load_default="",
        validate=validate.Length(max=60),
        metadata={"description": "whose keyed pseudonyms (EXPORT_RECIPIENT_KEYS)"},
    )
    from_ = fields.Date(load_default=None, data_key="from")
    to = fields.Date(load_default=None)
    by = fields.String(load_default="", validate=validate.Regexp(rf"^$|{BY_PATTERN}"))
