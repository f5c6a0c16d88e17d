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
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from babel.lists import format_list

from forms.catalog import Catalog
from forms.programs import Text
from hub.db.tables import Program
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
    # The registries an enterprise's read touched (``hub.registry.ports.SOURCES``).
    "sources": {
        "market-regulation": N_("Market regulation"),
        "tax": N_("Tax"),
        "social-insurance": N_("Social insurance"),
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

# Why the hub read a registry, recorded as a fixed text -> its name.
PURPOSES: dict[str, str] = {
    "amount granted": N_("Working out the amount granted"),
    "automatic check": N_("Automatic checks of a request"),
    "benefit amount expected after a supplement": N_("Expected benefit amount after a supplement"),
    "benefit amount expected at filing": N_("Expected benefit amount when a request is filed"),
    "benefit payment cycle: age, residence and life status of beneficiaries": N_(
        "Benefit payments: beneficiaries' age, residence and whether they are alive"
    ),
    "benefits the person may apply for": N_("Benefits the person may apply for"),
    "policies for you": N_("Subsidy policies the enterprise may claim"),
    "route condition": N_("Whether a step of a request's route applies"),
    "wallet": N_("Credentials in the person's wallet"),
}

# Purposes that embed what they are for: the recorded text (``{}`` for the id), the kind of thing
# the id names (a title is shown for a service, program or life event; a reference as it is), and
# the name, ``{name}`` for its title or reference.
PURPOSE_PATTERNS: tuple[tuple[str, str, str], ...] = (
    ("prefill and eligibility of {}", "service", N_("Prefill and eligibility check for “{name}”")),
    ("prefill of {}", "service", N_("Prefill of the form for “{name}”")),
    ("eligibility of {} on its date", "service", N_("Eligibility for “{name}” on its scheduled date")),
    ("the dates of {}'s scheduled parts", "life_event", N_("Dates of the scheduled parts of “{name}”")),
    ("supplement of {}", "request", N_("Supplement to request {name}")),
    ("eligibility of claim {}", "claim", N_("Eligibility of claim {name}")),
    ("matching program {}", "program", N_("Matching enterprises to “{name}”")),
    ("eligibility for program {}", "program", N_("Eligibility for “{name}”")),
    ("claim of program {}", "program", N_("Claim under “{name}”")),
)
_PURPOSE_PATTERNS = [
    (re.compile(re.escape(before) + r"(\S+?)" + re.escape(after)), kind, name)
    for (before, after), kind, name in ((p.split("{}"), k, n) for p, k, n in PURPOSE_PATTERNS)
]
# Detail key -> the kind of thing its value names by id, shown by its title.
TITLED = {"service": "service", "program": "program", "event": "life_event"}


@dataclass(frozen=True)
class Titles:
    """The titles, in the reader's language, of what events name by id: kind -> id -> title."""

    by_kind: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def of(self, kind: str, ident: str) -> str | None:
        return self.by_kind.get(kind, {}).get(ident)


def parse_purpose(recorded: str) -> tuple[str, str, str] | None:
    """A purpose that embeds an id: the kind it names, the id, and the name to show; None for a
    text of no known pattern."""
    for pattern, kind, name in _PURPOSE_PATTERNS:
        found = pattern.fullmatch(recorded)
        if found:
            return kind, found.group(1), name
    return None


def purpose_label(recorded: str, locale: str, titles: Titles | None = None) -> str | None:
    """A recorded purpose as people read it, with the title of what it names; None when it is
    neither a fixed purpose nor one of ``PURPOSE_PATTERNS`` (it is then shown as recorded)."""
    if recorded in PURPOSES:
        return gettext(locale, PURPOSES[recorded])
    parsed = parse_purpose(recorded)
    if parsed is None:
        return None
    kind, ident, name = parsed
    return gettext(locale, name, name=(titles or Titles()).of(kind, ident) or ident)


def _named_ids(details: Iterable[Mapping[str, Any]]) -> dict[str, set[str]]:
    wanted: dict[str, set[str]] = {}
    for detail in details:
        for key, kind in TITLED.items():
            if isinstance(detail.get(key), str):
                wanted.setdefault(kind, set()).add(detail[key])
        purpose = detail.get("purpose")
        parsed = parse_purpose(purpose) if isinstance(purpose, str) else None
        if parsed:
            wanted.setdefault(parsed[0], set()).add(parsed[1])
    return wanted


async def titles_of(details: Iterable[Mapping[str, Any]], catalog: Catalog, locale: str) -> Titles:
    """The titles of the services, programs and life events the details name (in their own keys
    or in a purpose), in ``locale``: services and life events from the catalog, programs as
    published."""
    wanted = _named_ids(details)
    found: dict[str, dict[str, str]] = {"service": {}, "program": {}, "life_event": {}}
    for ident in wanted.get("service", ()):
        spec = catalog.latest(ident)
        if spec is not None:
            found["service"][ident] = gettext(locale, spec.title)
    for ident in wanted.get("life_event", ()):
        event = catalog.life_events.get(ident)
        if event is not None:
            found["life_event"][ident] = gettext(locale, event.title)
    codes = sorted(wanted.get("program", ()))
    if codes:
        rows = await Program.select(Program.code, Program.spec).where(Program.code.is_in(codes))
        for row in rows:
            spec = json.loads(row["spec"]) if isinstance(row["spec"], str) else row["spec"]
            found["program"][row["code"]] = Text.model_validate(spec["title"]).in_locale(locale)
    return Titles(found)


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


# A batch read of the population registry records, as its object, how many people it found of how
# many it asked for: "1 of 3".
_FOUND_OF = re.compile(r"(\d+) of (\d+)")


def object_id_text(object_type: str, object_id: str, locale: str) -> str | None:
    """An object id that is not an id but words of the hub's ("1 of 3" people read), in
    ``locale``; None for a real id (shown as recorded)."""
    found = _FOUND_OF.fullmatch(object_id) if object_type == "resident" else None
    if found is None:
        return None
    return gettext(locale, N_("{found} found of {asked} asked for"), found=found.group(1), asked=found.group(2))


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


def detail_value_text(key: str, value: Any, locale: str, titles: Titles | None = None) -> tuple[str, bool]:
    """A detail's value as people read it, and whether it was named (a code of ``DETAIL_VALUES``,
    an action, an object type, a purpose, the title of a service, program or life event, yes or
    no) rather than shown as recorded."""
    if isinstance(value, bool):
        return gettext(locale, N_("Yes") if value else N_("No")), True
    if isinstance(value, list):
        texts = [detail_value_text(key, item, locale, titles) for item in value]
        return format_list([text for text, _ in texts], locale=locale) if texts else "", any(n for _, n in texts)
    if isinstance(value, str):
        if key == "purpose":
            purpose = purpose_label(value, locale, titles)
            if purpose is not None:
                return purpose, True
        title = titles.of(TITLED[key], value) if titles and key in TITLED else None
        if title:
            return title, True
        if key == "action" and value in ACTIONS:
            return action_label(value, locale), True
        if key == "object_type" and value in OBJECT_TYPES:
            return object_type_label(value, locale), True
        label = DETAIL_VALUES.get(key, {}).get(value)
        if label:
            return gettext(locale, label), True
    return ("" if value is None else str(value)), False


def detail_items(detail: dict[str, Any], locale: str, titles: Titles | None = None) -> list[dict[str, Any]]:
    """An event's details for people, in the order recorded: each key's name and its value's, and
    ``code``: the key, and the value as recorded when it was named, to show beneath them. ``titles``
    (``titles_of``) names the services, programs and life events the details give by id."""
    items = []
    for key, value in detail.items():
        text, named = detail_value_text(key, value, locale, titles)
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
