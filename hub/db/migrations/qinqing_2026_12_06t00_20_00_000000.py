from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-06T00:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "A prepared claim's request is prepared, not submitted"

# Claims nobody of the enterprise has submitted: prepared, or declined (withdrawn while prepared).
NEVER_SUBMITTED = (
    "SELECT request FROM claim WHERE request IS NOT NULL AND submitted_by IS NULL"
    " AND (state = 'prepared' OR (state = 'refused' AND reason_code = 'withdrawn'))"
)


class PreparedClaimRequests(MigrationManager):
    """A claim its preparer prepared stored its request as submitted, with a "submitted" step, on
    the day it was prepared: the request's page, *My requests* and the cockpit's figures took a
    claim its approver had not submitted (or had declined) for one received. Such requests are
    prepared again (those still waiting) and lose the step that never happened; the step is
    written when the approver submits. The cockpit's daily figures are counted again by
    ``qinqing cockpit rebuild``."""

    async def run(self, backwards: bool = False):
        await super().run(backwards=backwards)
        if self.preview or backwards:
            return  # nothing to put back: the step and the state were wrong
        await Table.raw(
            "UPDATE service_request SET state = 'prepared' WHERE state = 'submitted' AND id IN"
            " (SELECT request FROM claim WHERE state = 'prepared' AND request IS NOT NULL)"
        )
        await Table.raw(f"DELETE FROM timeline_entry WHERE kind = 'submitted' AND request IN ({NEVER_SUBMITTED})")


async def forwards():
    return PreparedClaimRequests(migration_id=ID, app_name="qinqing", description=DESCRIPTION)
