"""Ratings with a closed loop (好差评) and grievances: the follow-up of a bad rating, grievances about
a service, a clerk or a payment, both as cases in a department's inbox (or the oversight office's)
with a working-day time limit that escalates; appeals to the supervisor; the one place ratings are counted; the figures the
governance report and the cockpit read."""

from hub.feedback.cases import (
    OVERSIGHT_ROLE,
    SLA_STATES,
    CaseKind,
    CaseState,
    PiccoloCaseRecords,
    SlaState,
    escalation_recipients,
    sla_state,
)
from hub.feedback.figures import (
    FollowUpFigures,
    GrievanceFigures,
    counted_scores,
    follow_up_figures,
    grievance_figures,
    ratings_version,
)
from hub.feedback.follow_ups import (
    CONTACT_CHANNELS,
    OUTCOMES,
    answer_follow_up,
    appeal,
    decide_appeal,
    open_follow_up,
    rate_follow_up,
    record_contact,
    started,
)
from hub.feedback.grievances import GRIEVANCE_OUTCOMES, SUBJECTS, answer_case, answer_grievance, file_grievance
from hub.feedback.views import (
    CHANNEL_LABELS,
    OUTCOME_LABELS,
    SUBJECT_LABELS,
    CaseListItem,
    CaseRead,
    ContactRead,
    case_read,
    department_cases,
    my_cases,
)

__all__ = [
    "CHANNEL_LABELS",
    "CONTACT_CHANNELS",
    "GRIEVANCE_OUTCOMES",
    "OUTCOMES",
    "OUTCOME_LABELS",
    "OVERSIGHT_ROLE",
    "SLA_STATES",
    "SUBJECTS",
    "SUBJECT_LABELS",
    "CaseKind",
    "CaseListItem",
    "CaseRead",
    "CaseState",
    "ContactRead",
    "FollowUpFigures",
    "GrievanceFigures",
    "PiccoloCaseRecords",
    "SlaState",
    "answer_case",
    "answer_follow_up",
    "answer_grievance",
    "appeal",
    "case_read",
    "counted_scores",
    "decide_appeal",
    "department_cases",
    "escalation_recipients",
    "file_grievance",
    "follow_up_figures",
    "grievance_figures",
    "my_cases",
    "open_follow_up",
    "rate_follow_up",
    "ratings_version",
    "record_contact",
    "sla_state",
    "started",
]
