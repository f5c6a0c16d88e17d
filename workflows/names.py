"""Task-queue names and workflow ids: the one place they are spelled."""

REQUESTS_QUEUE = "qinqing-requests"
# The signal a request run as a life event's part sends its case when it is approved on commitment:
# approved at once, while its workflow goes on to the post-check.
PART_DECIDED_SIGNAL = "part_decided"


def request_workflow_id(ref: str) -> str:
    """The workflow id of a service request is its business key."""
    return f"request-{ref}"


def reissue_workflow_id(previous_key: str) -> str:
    """One correction per document: asking twice finds the same workflow."""
    return f"reissue-{previous_key}"


def task_key(workflow_id: str, stage_id: str, department: str) -> str:
    """A review task's idempotency key: one task per department per stage per request."""
    return f"{workflow_id}:{stage_id}:{department}"


def claim_workflow_id(ref: str) -> str:
    """A subsidy claim's workflow; its review (apply mode) runs as the request workflow of the same ref."""
    return f"claim-{ref}"


def matching_workflow_id(program_code: str, published_at: str) -> str:
    """One matching run per publication of a program."""
    return f"match-{program_code}-{published_at}"


RECONCILIATION_SCHEDULE = "daily-reconciliation"


def payment_cycle_workflow_id(service_id: str, period: str) -> str:
    """One cycle per benefit and period at a time: a re-run reuses the id once the last has finished."""
    return f"cycle-{service_id}-{period}"


def payment_cycle_schedule(service_id: str) -> str:
    return f"payment-cycle-{service_id}"


def life_event_workflow_id(ref: str) -> str:
    """One workflow per life event application, by its reference."""
    return f"life-event-{ref}"


# Sends the messages held for quiet hours (and any left queued) every few minutes.
HELD_MESSAGES_SCHEDULE = "held-messages"


def resend_workflow_id(message_key: str, attempt: int) -> str:
    """An operator's resend of one message; ``attempt`` counts the resends."""
    return f"resend-{message_key}-{attempt}"


def case_workflow_id(ref: str) -> str:
    """The clock of a feedback case (a bad rating's follow-up, a grievance), by the case's reference."""
    return f"case-{ref}"


# Invites applicants to rate requests decided a while ago and left unrated, every few minutes.
RATING_INVITATIONS_SCHEDULE = "rating-invitations"


# The governance report of the month just ended, made on the first of each month.
GOVERNANCE_REPORT_SCHEDULE = "monthly-governance-report"


def governance_report_workflow_id(label: str) -> str:
    """One report per period (label such as 2026-11, 2026-Q4, 2026): asking twice finds the same run."""
    return f"governance-report-{label}"
