"""The audit log's vocabulary as people read it: every action the hub records, every kind of
object an event concerns and every detail it keeps, named in the reader's language, and the
families of actions the log can be filtered by.

An event keeps its codes (``request.filed``, ``channel: page``): the API answers with them and
takes them as filters, and the auditor's page shows them under the names. A code that has no name
here (an event of an older version) is shown as it is. tests/hub/test_audit_actions.py reads every
``record(...)`` of the hub and fails on an action, object type or detail missing here, so a new one
cannot go unnamed.
"""

from __future__ import annotations

import json
from typing import Any

from babel.lists import format_list

from hub.i18n import N_, gettext

# Action code -> its name. The part of a code before its first dot is its family (``FAMILIES``).
ACTIONS: dict[str, str] = {
    "account.delegate_set": N_("Delegate for absence changed"),
    "api_token.created": N_("API token created"),
    "api_token.revoked": N_("API token revoked"),
    "attachment.downloaded": N_("Attachment downloaded"),
    "audit.viewed": N_("Audit log read"),
    "auth.failed": N_("Sign-in failed"),
    "auth.locked_out": N_("Sign-in locked after failures"),
    "auth.signed_in": N_("Signed in"),
    "auth.signed_out": N_("Signed out"),
    "auth.unlocked": N_("Sign-in lock lifted"),
    "benefit.cycle.started": N_("Benefit payment cycle started"),
    "benefit.register.viewed": N_("Benefit register read"),
    "calendar.published": N_("Working calendar published"),
    "case.answered": N_("Case answered"),
    "case.appeal_decided": N_("Appeal decided"),
    "case.appealed": N_("Case appealed"),
    "case.contacted": N_("Applicant contacted about a case"),
    "case.escalated": N_("Case escalated"),
    "case.opened": N_("Follow-up case opened"),
    "case.rated": N_("Answer to a case rated"),
    "case.viewed": N_("Case viewed"),
    "claim.declined": N_("Prepared subsidy claim declined"),
    "claim.prepared": N_("Subsidy claim prepared"),
    "claim.submitted": N_("Subsidy claim submitted"),
    "claim.viewed": N_("Subsidy claim viewed"),
    "credential.share_revoked": N_("Credential share withdrawn"),
    "credential.shared": N_("Credential shared"),
    "document.downloaded": N_("Document downloaded"),
    "document.reissued": N_("Document reissued"),
    "document.revoked": N_("Document revoked"),
    "entitlement.change_confirmed": N_("Entitlement change confirmed"),
    "entitlement.ended": N_("Entitlement ended"),
    "entitlement.resumed": N_("Entitlement resumed"),
    "entitlement.suspended": N_("Entitlement suspended"),
    "entitlement.viewed": N_("Entitlement viewed"),
    "governance_report.issued": N_("Governance report issued"),
    "governance_report.requested": N_("Governance report requested"),
    "grievance.filed": N_("Complaint filed"),
    "life_event.anonymised": N_("Life event case anonymised"),
    "life_event.filed": N_("Life event case filed"),
    "life_event.withdrawn": N_("Life event case withdrawn"),
    "messages.local_viewed": N_("Locally kept messages read"),
    "personal_data.revealed": N_("Personal data revealed"),
    "personal_data.sealed": N_("Personal answers left in clear sealed"),
    "program.closed": N_("Subsidy program closed"),
    "program.matches_viewed": N_("Subsidy program's matches read"),
    "program.published": N_("Subsidy program published"),
    "rating.excluded": N_("Rating excluded from the figures"),
    "reconciliation.stored": N_("Reconciliation report stored"),
    "reconciliation.viewed": N_("Reconciliation report read"),
    "registry.read": N_("Registry record read"),
    "request.anonymised": N_("Request anonymised"),
    "request.filed": N_("Request filed"),
    "request.prepared": N_("Request prepared for approval"),
    "request.rated": N_("Request rated"),
    "request.stage_rated": N_("Step of a request rated"),
    "request.submitted": N_("Prepared request submitted"),
    "request.supplemented": N_("Request supplemented"),
    "request.viewed": N_("Request viewed"),
    "request.withdrawn": N_("Request withdrawn"),
    # A clerk's or supervisor's move on a task (workflows.types.TaskMove), and reading it.
    "task.assign": N_("Task assigned"),
    "task.claim": N_("Task claimed"),
    "task.confirm": N_("Decision checked by a second clerk"),
    "task.decide": N_("Task decided"),
    "task.record_post_check": N_("Post-approval check recorded"),
    "task.release": N_("Task released"),
    "task.request_information": N_("More information requested"),
    "task.transfer": N_("Task transferred"),
    "task.viewed": N_("Task viewed"),
    "temporal.payloads_opened": N_("Workflow data opened"),
    "temporal.payloads_sealed": N_("Workflow data sealed"),
    "upload.created": N_("File uploaded"),
}

# Family (an action code's first part) -> its name.
FAMILIES: dict[str, str] = {
    "account": N_("Accounts"),
    "api_token": N_("API tokens"),
    "attachment": N_("Attachments"),
    "audit": N_("Audit log"),
    "auth": N_("Sign-in"),
    "benefit": N_("Benefits"),
    "calendar": N_("Working calendar"),
    "case": N_("Feedback cases"),
    "claim": N_("Subsidy claims"),
    "credential": N_("Credentials"),
    "document": N_("Documents"),
    "entitlement": N_("Entitlements"),
    "governance_report": N_("Governance reports"),
    "grievance": N_("Complaints"),
    "life_event": N_("Life events"),
    "messages": N_("Messages"),
    "personal_data": N_("Personal data"),
    "program": N_("Subsidy programs"),
    "rating": N_("Service ratings"),
    "reconciliation": N_("Payment reconciliation"),
    "registry": N_("Registries"),
    "request": N_("Requests"),
    "task": N_("Tasks"),
    "temporal": N_("Workflow data"),
    "upload": N_("Uploads"),
}

# Object type -> its name.
OBJECT_TYPES: dict[str, str] = {
    "account": N_("Account"),
    "api_token": N_("API token"),
    "audit_log": N_("Audit log"),
    "benefit": N_("Benefit"),
    "case": N_("Feedback case"),
    "claim": N_("Claim"),
    "credential": N_("Credential"),
    "credential_share": N_("Credential share"),
    "disability": N_("Disability record"),
    "document": N_("Document"),
    "education": N_("Education record"),
    "enterprise": N_("Enterprise"),
    "entitlement": N_("Entitlement"),
    "governance_report": N_("Governance report"),
    "life_event": N_("Life event case"),
    "messages": N_("Messages"),
    "program": N_("Program"),
    "reconciliation": N_("Reconciliation report"),
    "request": N_("Request"),
    "resident": N_("Resident"),
    "supplement": N_("Answers supplied later"),
    "task": N_("Task"),
    "temporal": N_("Temporal namespace"),
    "upload": N_("Upload"),
    "working_calendar": N_("Working calendar"),
}

# Who acted, by role (the log keeps the code).
ROLES: dict[str, str] = {
    "citizen": N_("Citizen"),
    "enterprise": N_("Enterprise"),
    "clerk": N_("Clerk"),
    "supervisor": N_("Supervisor"),
    "auditor": N_("Auditor"),
    "admin": N_("Administrator"),
    "system": N_("A department's system"),
}

# Detail key (a keyword of ``record(...)``) -> its name. ``request`` is not among them: ``record``
# keeps it as the event's request, not as a detail.
DETAILS: dict[str, str] = {
    "accept": N_("Decision accepted"),
    "account": N_("Account"),
    "action": N_("Action"),
    "actor": N_("Username"),
    "anonymous": N_("Filed anonymously"),
    "applicant_name": N_("Applicant's name shown"),
    "assignee": N_("Assigned to"),
    "before": N_("Events before number"),
    "budget": N_("Budget"),
    "by": N_("Who acted"),
    "case": N_("Feedback case"),
    "category": N_("Reason category"),
    "change": N_("Change number"),
    "channel": N_("Channel"),
    "count": N_("Records read"),
    "days_off": N_("Days off"),
    "delegate": N_("Delegate"),
    "emails": N_("Emails"),
    "event": N_("Life event"),
    "field": N_("Field"),
    "fields": N_("Fields"),
    "files": N_("Files"),
    "holidays": N_("Holidays"),
    "hours": N_("Valid for (hours)"),
    "kept": N_("Approval kept"),
    "kind": N_("Kind"),
    "life_event": N_("Life event case"),
    "limit": N_("Limit reached"),
    "media_type": N_("File type"),
    "mode": N_("How it is claimed"),
    "name": N_("Name"),
    "new": N_("New document"),
    "object_id": N_("Object number"),
    "object_type": N_("Object type"),
    "on": N_("Date"),
    "outcome": N_("Outcome"),
    "parts": N_("Parts"),
    "payloads": N_("Payloads"),
    "pending": N_("Waiting for confirmation"),
    "period": N_("Period"),
    "prepared_by": N_("Prepared by account"),
    "program": N_("Program"),
    "purpose": N_("Purpose"),
    "reason": N_("Reason"),
    "replaced": N_("Replaced an earlier calendar"),
    "retention_days": N_("Kept for (days)"),
    "scopes": N_("Permissions"),
    "score": N_("Score"),
    "service": N_("Service"),
    "sha256": N_("SHA-256 fingerprint"),
    "since": N_("From"),
    "size": N_("Size (bytes)"),
    "sms": N_("SMS"),
    "sources": N_("Sources"),
    "stage": N_("Step"),
    "state": N_("State"),
    "stopped": N_("Parts stopped"),
    "subject": N_("About"),
    "task": N_("Task"),
    "to": N_("To department"),
    "until": N_("Until"),
    "upheld": N_("Upheld"),
    "username_digest": N_("Username (digest only)"),
    "verdict": N_("Verdict"),
    "version": N_("Version"),
    "withdrawn": N_("Parts withdrawn"),
    "working_days": N_("Working days"),
}

# Detail key -> the codes its value can be, and their names: where a detail's value is one of a
# fixed set (tests/hub/test_audit_actions.py holds each against the vocabulary it comes from).
# Free text, numbers and identifiers are shown as recorded.
DETAIL_VALUES: dict[str, dict[str, str]] = {
    "by": {"system": N_("The system")},
    "category": {
        "issued_in_error": N_("Issued in error"),
        "superseded": N_("Replaced by another document"),
        "fraud": N_("Obtained with false or withheld information"),
        "other": N_("Other reasons"),
        "commitment_broken": N_("A commitment made in place of a proof was found untrue"),
    },
    # Where a sign-in came from (the pages say so; the API's say nothing), or how a case's
    # applicant was reached.
    "channel": {
        "page": N_("Web pages"),
        "phone": N_("Phone"),
        "sms": N_("SMS"),
        "email": N_("Email"),
        "visit": N_("Home visit"),
        "in_person": N_("In person"),
    },
    "kind": {"follow_up": N_("Follow-up of a low rating"), "grievance": N_("Grievance")},
    "limit": {"username": N_("Attempts with this username"), "address": N_("Attempts from this address")},
    "mode": {
        "apply": N_("Apply and be reviewed"),
        "instant": N_("Instant: checked automatically, paid at once"),
        "apply_free": N_("No application: confirm and receive"),
    },
    "outcome": {
        "resolved": N_("Resolved"),
        "explained": N_("Explained"),
        "upheld": N_("Upheld"),
        "partly_upheld": N_("Partly upheld"),
        "not_upheld": N_("Not upheld"),
    },
    "scopes": {
        "tasks:read": N_("Read tasks"),
        "tasks:decide": N_("Decide tasks"),
        "requests:read": N_("Read requests"),
    },
    # The benefit register's filter: empty when every state was read.
    "state": {"": N_("All"), "active": N_("Being paid"), "suspended": N_("Suspended"), "ended": N_("Ended")},
    "subject": {"service": N_("A service"), "clerk": N_("A clerk"), "payment": N_("A payment")},
    "verdict": {"approve": N_("Approved"), "reject": N_("Rejected")},
}

# A choice of a select: its value and what it shows; a group of them under a name (None: no group).
Choice = tuple[str, str]
ChoiceGroup = tuple[str | None, list[Choice]]


def family_of(action: str) -> str:
    """The family an action code belongs to: its part before the first dot."""
    return action.partition(".")[0]


def is_family(asked: str) -> bool:
    """Whether a filter names a family of actions (``request.``: its name and a dot) rather than one."""
    return asked.endswith(".") and asked[:-1] in FAMILIES


def action_label(action: str, locale: str) -> str:
    """An action's name in ``locale``; a code without one, as it is."""
    label = ACTIONS.get(action)
    return gettext(locale, label) if label else action


def object_type_label(object_type: str, locale: str) -> str:
    """An object type's name in ``locale``; a type without one, as it is."""
    label = OBJECT_TYPES.get(object_type)
    return gettext(locale, label) if label else object_type


def action_choices(locale: str, asked: str = "") -> list[ChoiceGroup]:
    """The actions to filter the log by: a group per family, the groups and the actions in each in
    the order of their names, a family of several actions offered first in its group as a whole.
    A value ``asked`` that is none of them (typed into the address) comes first, as it is, so the
    select still shows what the page was filtered by."""
    members: dict[str, list[Choice]] = {}
    for code in ACTIONS:
        members.setdefault(family_of(code), []).append((code, action_label(code, locale)))
    groups: list[ChoiceGroup] = []
    for family, actions in members.items():
        name = gettext(locale, FAMILIES[family])
        whole = [(family + ".", gettext(locale, N_("All actions: {family}"), family=name))] if len(actions) > 1 else []
        groups.append((name, whole + sorted(actions, key=lambda choice: choice[1])))
    groups.sort(key=lambda group: group[0] or "")
    known = {value for _, choices in groups for value, _ in choices}
    return ([(None, [(asked, asked)])] if asked and asked not in known else []) + groups


def detail_key_label(key: str, locale: str) -> str:
    """A detail's name in ``locale``; a key without one, as it is."""
    label = DETAILS.get(key)
    return gettext(locale, label) if label else key


def detail_value_text(key: str, value: Any, locale: str) -> tuple[str, bool]:
    """A detail's value as people read it, and whether it was named (a code of ``DETAIL_VALUES``,
    an action, an object type, yes or no) rather than shown as recorded."""
    if isinstance(value, bool):
        return gettext(locale, N_("Yes") if value else N_("No")), True
    if isinstance(value, list):
        texts = [detail_value_text(key, item, locale) for item in value]
        return format_list([text for text, _ in texts], locale=locale) if texts else "", any(n for _, n in texts)
    if isinstance(value, str):
        if key == "action" and value in ACTIONS:
            return action_label(value, locale), True
        if key == "object_type" and value in OBJECT_TYPES:
            return object_type_label(value, locale), True
        label = DETAIL_VALUES.get(key, {}).get(value)
        if label:
            return gettext(locale, label), True
    return ("" if value is None else str(value)), False


def detail_items(detail: dict[str, Any], locale: str) -> list[dict[str, Any]]:
    """An event's details for people, in the order recorded: each key's name and its value's, and
    ``code``: the key, and the value as recorded when it was named, to show beneath them."""
    items = []
    for key, value in detail.items():
        text, named = detail_value_text(key, value, locale)
        recorded = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        code = f"{key}: {recorded}" if named else key
        items.append({"key": key, "label": detail_key_label(key, locale), "text": text, "code": code})
    return items


def actor_choices(locale: str, asked: str = "") -> list[ChoiceGroup]:
    """Whose events to read, beside a username: anyone's, or the system's (recorded by the hub
    itself, with no user). A value ``asked`` that is neither comes last, as it is, so the select
    still shows what the page was filtered by."""
    choices: list[Choice] = [("", gettext(locale, N_("Anyone")))]
    choices += [(value, gettext(locale, label)) for value, label in DETAIL_VALUES["by"].items()]
    if asked and asked not in DETAIL_VALUES["by"]:
        choices.append((asked, asked))
    return [(None, choices)]


def role_label(role: str | None, locale: str) -> str:
    """A role as people read it; an unknown one as it is."""
    if not role:
        return ""
    label = ROLES.get(role)
    return gettext(locale, label) if label else role
