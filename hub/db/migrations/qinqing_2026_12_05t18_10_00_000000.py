from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean
from piccolo.columns.indexes import IndexMethod
from piccolo.engine import engine_finder
from piccolo.table import Table

ID = "2026-12-05T18:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Cases handled, and appeals decided, by the oversight office rather than the department"


# The grievances filed before the rule that it now gives to the oversight office (as
# hub.feedback.cases.goes_to_oversight decides at filing): about a supervisor, or about a clerk of a
# department with no supervisor. Left with the department, nobody could handle them.
TO_OVERSIGHT = """
    UPDATE feedback_case SET oversight = TRUE
    WHERE kind = 'grievance' AND clerk IS NOT NULL AND (
        EXISTS (SELECT 1 FROM account a WHERE a.id = feedback_case.clerk AND a.role <> 'clerk')
        OR NOT EXISTS (
            SELECT 1 FROM account s WHERE s.role = 'supervisor' AND s.department = feedback_case.department
        )
    )
"""
# Appeals waiting in a department without a supervisor, whom nobody could decide: the office decides.
APPEALS_TO_OVERSIGHT = """
    UPDATE feedback_case SET appeal_oversight = TRUE
    WHERE oversight = FALSE AND appeal_state = 'pending' AND NOT EXISTS (
        SELECT 1 FROM account s WHERE s.role = 'supervisor' AND s.department = feedback_case.department
    )
"""


class OversightCases(MigrationManager):
    """The column, then the grievances filed before it that the oversight office handles now."""

    async def run(self, backwards: bool = False):
        await super().run(backwards=backwards)
        engine = engine_finder()
        if self.preview or backwards or engine is None:
            return
        async with engine.transaction():
            await Table.raw(TO_OVERSIGHT)
            await Table.raw(APPEALS_TO_OVERSIGHT)


async def forwards():
    manager = OversightCases(migration_id=ID, app_name="qinqing", description=DESCRIPTION)

    manager.add_column(
        table_class_name="FeedbackCase",
        tablename="feedback_case",
        column_name="oversight",
        db_column_name="oversight",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": False,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="FeedbackCase",
        tablename="feedback_case",
        column_name="appeal_oversight",
        db_column_name="appeal_oversight",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": False,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
