from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-05T21:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Appeals no supervisor may decide go to the oversight office"

# Appeals waiting where the department's only supervisors are the one who appealed, or, for a
# grievance, the one whose answer is appealed: nobody could decide them. As
# hub.feedback.follow_ups.appeal now decides when an appeal is made, the oversight office does.
APPEALS_NOBODY_MAY_DECIDE = """
    UPDATE feedback_case SET appeal_oversight = TRUE
    WHERE oversight = FALSE AND appeal_oversight = FALSE AND appeal_state = 'pending' AND NOT EXISTS (
        SELECT 1 FROM account s
        WHERE s.role = 'supervisor' AND s.department = feedback_case.department
          AND (feedback_case.appealed_by IS NULL OR s.id <> feedback_case.appealed_by)
          AND (feedback_case.kind <> 'grievance' OR feedback_case.answered_by IS NULL
               OR s.id <> feedback_case.answered_by)
    )
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="qinqing", description=DESCRIPTION)

    async def appeals_to_oversight():
        await Table.raw(APPEALS_NOBODY_MAY_DECIDE)

    manager.add_raw(appeals_to_oversight)
    return manager
