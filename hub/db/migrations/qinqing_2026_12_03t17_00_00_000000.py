from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import JSON, Boolean, ForeignKey, Integer, Serial, Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class Account(Table, tablename="account", schema=None):
    id = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name="id",
        secret=False,
    )


ID = "2026-12-03T17:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Published working-day calendars by year; tasks whose time limit is provisional"

PLAIN = {
    "primary_key": False,
    "index_method": IndexMethod.btree,
    "choices": None,
    "db_column_name": None,
    "secret": False,
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="qinqing", description=DESCRIPTION)

    manager.add_table(class_name="WorkingCalendarYear", tablename="working_calendar_year", schema=None, columns=None)
    manager.add_column(
        table_class_name="WorkingCalendarYear",
        tablename="working_calendar_year",
        column_name="year",
        db_column_name="year",
        column_class_name="Integer",
        column_class=Integer,
        params={"default": 0, "null": False, "unique": True, "index": False, **PLAIN},
        schema=None,
    )
    manager.add_column(
        table_class_name="WorkingCalendarYear",
        tablename="working_calendar_year",
        column_name="content",
        db_column_name="content",
        column_class_name="JSON",
        column_class=JSON,
        params={"default": "{}", "null": False, "unique": False, "index": False, **PLAIN},
        schema=None,
    )
    manager.add_column(
        table_class_name="WorkingCalendarYear",
        tablename="working_calendar_year",
        column_name="published_at",
        db_column_name="published_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={"default": TimestamptzNow(), "null": False, "unique": False, "index": False, **PLAIN},
        schema=None,
    )
    manager.add_column(
        table_class_name="WorkingCalendarYear",
        tablename="working_calendar_year",
        column_name="published_by",
        db_column_name="published_by",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": Account,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "default": None,
            "null": True,
            "unique": False,
            "index": False,
            **PLAIN,
        },
        schema=None,
    )
    manager.add_column(
        table_class_name="ReviewTask",
        tablename="review_task",
        column_name="provisional",
        db_column_name="provisional",
        column_class_name="Boolean",
        column_class=Boolean,
        params={"default": False, "null": False, "unique": False, "index": False, **PLAIN},
        schema=None,
    )

    return manager
