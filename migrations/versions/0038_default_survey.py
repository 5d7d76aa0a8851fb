"""ship the default reintegration survey (version 1): our wording of the RSS's three dimensions

Every item scores its answers between 0 and 1 (better off: higher); weights are equal within a
dimension. "Declined" and "don't know" are allowed on every item and never scored.

Revision ID: 0038_default_survey
Revises: 0037_surveys
Create Date: 2026-12-07
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0038_default_survey"
down_revision = "0037_surveys"
branch_labels = None
depends_on = None

YES_NO = [("yes", "Sí", "Yes", 1.0), ("no", "No", "No", 0.0)]
NO_YES = [("no", "No", "No", 1.0), ("yes", "Sí", "Yes", 0.0)]
FREQUENCY = [
    ("never", "Nunca", "Never", 1.0),
    ("sometimes", "A veces", "Sometimes", 0.5),
    ("often", "Seguido", "Often", 0.0),
]
PARTLY = [("yes", "Sí", "Yes", 1.0), ("partly", "En parte", "Partly", 0.5), ("no", "No", "No", 0.0)]

# (code, dimension, kind, Spanish, English, options, safe by SMS, check-in indicator)
ITEMS = [
    (
        "economic_satisfaction",
        "economic",
        "scale",
        "¿Qué tan satisfecho o satisfecha está con su situación económica?",
        "How satisfied are you with your economic situation?",
        [
            ("very_satisfied", "Muy satisfecho/a", "Very satisfied", 1.0),
            ("satisfied", "Satisfecho/a", "Satisfied", 0.67),
            ("dissatisfied", "Insatisfecho/a", "Dissatisfied", 0.33),
            ("very_dissatisfied", "Muy insatisfecho/a", "Very dissatisfied", 0.0),
        ],
        False,
        None,
    ),
    (
        "ate_less",
        "economic",
        "scale",
        "En el último mes, ¿con qué frecuencia tuvo que comer menos porque no alcanzaba?",
        "In the last month, how often did you have to eat less because there was not enough?",
        FREQUENCY,
        False,
        None,
    ),
    (
        "can_borrow",
        "economic",
        "yes_no",
        "Si lo necesitara, ¿podría conseguir dinero prestado?",
        "If you needed to, could you borrow money?",
        YES_NO,
        False,
        None,
    ),
    (
        "debt",
        "economic",
        "choice",
        "Comparada con lo que gasta en un mes, ¿cuánto debe?",
        "Compared with what you spend in a month, how much do you owe?",
        [
            ("none", "Nada", "Nothing", 1.0),
            ("less", "Menos que un mes de gastos", "Less than a month's spending", 0.67),
            ("more", "Más que un mes de gastos", "More than a month's spending", 0.33),
            ("much_more", "Varios meses de gastos o más", "Several months' spending or more", 0.0),
        ],
        False,
        None,
    ),
    (
        "working",
        "economic",
        "yes_no",
        "¿Está trabajando ahora?",
        "Are you working now?",
        YES_NO,
        True,
        "working",
    ),
    (
        "has_tools",
        "economic",
        "yes_no",
        "¿Tiene las herramientas o los bienes que necesita para ganarse la vida?",
        "Do you have the tools or assets you need to make a living?",
        YES_NO,
        False,
        None,
    ),
    (
        "looking_for_work",
        "economic",
        "choice",
        "¿Está buscando trabajo?",
        "Are you looking for work?",
        [
            ("has_work", "No, ya tiene trabajo", "No, already has work", 1.0),
            ("looking", "Sí, está buscando", "Yes, looking", 0.5),
            ("not_looking", "No trabaja ni busca", "Neither working nor looking", 0.0),
        ],
        False,
        None,
    ),
    (
        "housing",
        "social",
        "scale",
        "¿La vivienda donde vive es adecuada para usted y su familia?",
        "Is the place where you live adequate for you and your family?",
        PARTLY,
        False,
        None,
    ),
    (
        "children_in_school",
        "social",
        "choice",
        "¿Los niños y niñas en edad escolar de su hogar van a la escuela?",
        "Do the school-age children of your household go to school?",
        [
            ("yes", "Sí, todos", "Yes, all of them", 1.0),
            ("some", "Algunos", "Some of them", 0.5),
            ("no", "No", "No", 0.0),
            ("no_children", "No hay niños en edad escolar", "No school-age children", None),
        ],
        True,
        "in_school",
    ),
    (
        "justice_access",
        "social",
        "yes_no",
        "Si lo necesitara, ¿podría acudir a la justicia o a la policía?",
        "If you needed to, could you go to the courts or the police?",
        YES_NO,
        False,
        None,
    ),
    (
        "has_id",
        "social",
        "yes_no",
        "¿Tiene un documento de identidad?",
        "Do you have an identity document?",
        YES_NO,
        True,
        None,
    ),
    (
        "safe_water",
        "social",
        "yes_no",
        "¿Tiene agua potable segura?",
        "Do you have safe drinking water?",
        YES_NO,
        False,
        None,
    ),
    (
        "health_care",
        "social",
        "yes_no",
        "¿Puede recibir atención de salud cuando la necesita?",
        "Can you get health care when you need it?",
        YES_NO,
        False,
        None,
    ),
    (
        "community_activities",
        "psychosocial",
        "scale",
        "¿Participa en actividades de su comunidad?",
        "Do you take part in community activities?",
        [
            ("often", "Seguido", "Often", 1.0),
            ("sometimes", "A veces", "Sometimes", 0.5),
            ("never", "Nunca", "Never", 0.0),
        ],
        False,
        None,
    ),
    (
        "people_to_turn_to",
        "psychosocial",
        "yes_no",
        "¿Tiene personas a quienes acudir si las necesita?",
        "Do you have people to turn to when you need them?",
        YES_NO,
        False,
        None,
    ),
    (
        "belonging",
        "psychosocial",
        "scale",
        "¿Se siente parte de su comunidad?",
        "Do you feel part of your community?",
        PARTLY,
        False,
        None,
    ),
    (
        "treated_badly",
        "psychosocial",
        "scale",
        "¿Con qué frecuencia lo han tratado mal por haber regresado?",
        "How often have you been treated badly for having come back?",
        FREQUENCY,
        False,
        None,
    ),
    (
        "distress",
        "psychosocial",
        "scale",
        "En el último mes, ¿con qué frecuencia se ha sentido triste, con miedo o enojo, o sin poder "
        "dormir?",
        "In the last month, how often have you felt sad, afraid or angry, or been unable to sleep?",
        FREQUENCY,
        False,
        None,
    ),
    (
        "wants_support",
        "psychosocial",
        "yes_no",
        "¿Le gustaría recibir apoyo psicológico?",
        "Would you like psychological support?",
        NO_YES,
        False,
        None,
    ),
    (
        "feels_safe",
        "psychosocial",
        "yes_no",
        "¿Se siente físicamente seguro o segura donde vive?",
        "Do you feel physically safe where you live?",
        YES_NO,
        False,
        None,
    ),
    (
        "able_to_stay",
        "psychosocial",
        "yes_no",
        "¿Siente que puede quedarse aquí, sin verse obligado u obligada a irse?",
        "Do you feel able to stay here, rather than forced to leave?",
        YES_NO,
        False,
        None,
    ),
]

instruments = sa.table(
    "survey_instruments",
    sa.column("id", sa.Integer),
    sa.column("version", sa.Integer),
    sa.column("is_active", sa.Boolean),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
items = sa.table(
    "survey_items",
    sa.column("instrument_id", sa.Integer),
    sa.column("position", sa.Integer),
    sa.column("code", sa.String),
    sa.column("dimension", sa.String),
    sa.column("weight", sa.Float),
    sa.column("question_es", sa.Text),
    sa.column("question_en", sa.Text),
    sa.column("kind", sa.String),
    sa.column("options", sa.JSON),
    sa.column("is_safe_by_sms", sa.Boolean),
    sa.column("indicator", sa.String),
)


def upgrade() -> None:
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    op.bulk_insert(instruments, [{"id": 1, "version": 1, "is_active": True, "created_at": now}])
    op.bulk_insert(
        items,
        [
            {
                "instrument_id": 1,
                "position": position,
                "code": code,
                "dimension": dimension,
                "weight": 1.0,
                "question_es": spanish,
                "question_en": english,
                "kind": kind,
                "options": [
                    {"value": value, "label_es": label_es, "label_en": label_en, "score": score}
                    for value, label_es, label_en, score in options
                ],
                "is_safe_by_sms": by_sms,
                "indicator": indicator,
            }
            for position, (
                code,
                dimension,
                kind,
                spanish,
                english,
                options,
                by_sms,
                indicator,
            ) in enumerate(ITEMS, start=1)
        ],
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "SELECT setval('survey_instruments_id_seq', (SELECT max(id) FROM survey_instruments))"
        )


def downgrade() -> None:
    op.execute("DELETE FROM survey_items WHERE instrument_id = 1")
    op.execute("DELETE FROM survey_instruments WHERE id = 1")
