"""The audit log's vocabulary: every action, object type and detail the hub records has a name (read
from the ``record(...)`` calls of the source, the codes built at run time and the details passed on
in a dict included), the families the log is filtered by are the codes' own, the details read as
words, and a family (or the system's events) reads its events only, on a real SQLite file."""

from __future__ import annotations

import ast
from pathlib import Path

import msgspec
import pytest

from hub.actor import Actor
from hub.audit import BY, AuditFilters, read_audit_log, record
from hub.audit_actions import (
    ACTIONS,
    DETAIL_VALUES,
    DETAILS,
    FAMILIES,
    OBJECT_TYPES,
    PURPOSE_PATTERNS,
    PURPOSES,
    Titles,
    action_choices,
    action_label,
    actor_choices,
    detail_items,
    family_of,
    is_family,
    object_id_text,
    object_type_label,
    parse_purpose,
)
from hub.benefits.changes import MOVES as ENTITLEMENT_MOVES
from hub.errors import HubError
from hub.registry.ports import SOURCES as REGISTRY_SOURCES
from workflows.types import TASK_MOVES

ROOT = Path(__file__).resolve().parent.parent.parent
SOURCES = ("hub", "workflows")
# The codes a ``record(...)`` builds from a value, by the file and the expression: each site that
# builds one is listed here with every value it can take (a site not listed fails the test).
BUILT = {
    ("hub/workbench/moves.py", "f'task.{move}'"): [f"task.{move}" for move in TASK_MOVES],
    ("hub/benefits/changes.py", "f'entitlement.{kind}'"): [
        f"entitlement.{kind}" for _, _, kind in ENTITLEMENT_MOVES.values()
    ],
}


# Details a ``record(...)`` is given in a dict (``**value``) that the scan cannot read from the source,
# by the file and the expression, with every key the dict can have (a site not listed, and not a
# dict written out in its function or the function's own ``**keywords``, fails the test).
SPREAD = {
    # ``hub.signin.audit_subject``: a failed sign-in with a name no account has.
    ("hub/signin.py", "result.audit_detail"): ["username_digest"],
    # Reading the log records what was asked.
    ("hub/audit.py", "given"): [f.name for f in msgspec.structs.fields(AuditFilters)],
}
# ``record`` keeps it as the event's request, not as a detail.
NOT_DETAILS = {"request"}


class Site:
    """One ``record(origin, actor, action, object_type, object_id, ...)`` of the source."""

    def __init__(self, path: Path, tree: ast.Module, parents: dict[ast.AST, ast.AST], call: ast.Call) -> None:
        self.path, self.tree, self.parents, self.call = path, tree, parents, call
        self.where = f"{path.relative_to(ROOT)}:{call.lineno}"

    def codes(self, position: int) -> list[str]:
        """The codes the argument at ``position`` can be: a literal, a site of ``BUILT``, or a name
        given literals (``action = "a" if ... else "b"`` before the call, or a parameter of the
        function the call is in, given literals wherever the module calls it)."""
        given = self.call.args[position]
        if isinstance(given, ast.Constant) and isinstance(given.value, str):
            return [given.value]
        built = BUILT.get((str(self.path.relative_to(ROOT)), ast.unparse(given)))
        if built is not None:
            return built
        if isinstance(given, ast.Name):
            return self._assigned(given.id) or self._passed(given.id)
        return []

    def detail_keys(self) -> tuple[list[str], list[str]]:
        """The detail keys the call can give, and the ``**value`` it gives that the scan cannot read."""
        keys, unread = [], []
        for keyword in self.call.keywords:
            if keyword.arg is not None:
                keys.append(keyword.arg)
                continue
            spread = SPREAD.get((str(self.path.relative_to(ROOT)), ast.unparse(keyword.value)))
            found = spread if spread is not None else self._dict_keys(keyword.value)
            if found is None:
                unread.append(f"{self.where}: **{ast.unparse(keyword.value)}")
            keys += found or []
        return [key for key in keys if key not in NOT_DETAILS], unread

    def _dict_keys(self, value: ast.expr) -> list[str] | None:
        """The keys of ``**name``: a dict (or dicts, ``{...} if x else {}``) written out for it in the
        function, or the function's own ``**keywords``: those given wherever the module calls it."""
        function = self._function()
        if function is None or not isinstance(value, ast.Name):
            return None
        if function.args.kwarg is not None and function.args.kwarg.arg == value.id:
            named = {a.arg for a in [*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs]}
            return [
                keyword.arg
                for node in ast.walk(self.tree)
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == function.name
                for keyword in node.keywords
                if keyword.arg is not None and keyword.arg not in named
            ]
        found: list[str] = []
        assigned = False
        for node in ast.walk(function):
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == value.id for t in node.targets):
                dicts = dict_literals(node.value)
                if dicts is None:
                    return None
                assigned = True
                found += [k.value for d in dicts for k in d.keys if isinstance(k, ast.Constant)]
        return found if assigned else None

    def _function(self) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        node: ast.AST | None = self.call
        while node is not None and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node = self.parents.get(node)
        return node

    def _assigned(self, name: str) -> list[str]:
        function = self._function()
        found = []
        for node in ast.walk(function) if function else []:
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                found += literals(node.value)
        return found

    def _passed(self, name: str) -> list[str]:
        function = self._function()
        if function is None or name not in [a.arg for a in function.args.args]:
            return []
        position = [a.arg for a in function.args.args].index(name)
        found = []
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == function.name:
                if len(node.args) > position:
                    found += literals(node.args[position])
                found += [v for k in node.keywords if k.arg == name for v in literals(k.value)]
        return found


def literals(value: ast.expr) -> list[str]:
    """The strings an expression can be, when it is only literals (``"a" if x else "b"``); else none."""
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return [value.value]
    if isinstance(value, ast.IfExp):
        body, orelse = literals(value.body), literals(value.orelse)
        return body + orelse if body and orelse else []
    return []


def dict_literals(value: ast.expr) -> list[ast.Dict] | None:
    """The dicts an expression can be, when it is only dicts with literal keys; else None."""
    if isinstance(value, ast.Dict) and all(isinstance(k, ast.Constant) for k in value.keys):
        return [value]
    if isinstance(value, ast.IfExp):
        body, orelse = dict_literals(value.body), dict_literals(value.orelse)
        return body + orelse if body is not None and orelse is not None else None
    return None


def record_sites() -> list[Site]:
    sites = []
    for source in SOURCES:
        for path in sorted((ROOT / source).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "record":
                    if len(node.args) >= 4:  # the audit's record; an outbox's or a register's take fewer
                        sites.append(Site(path, tree, parents, node))
    return sites


SITES = record_sites()


def test_the_source_is_read_where_it_records():
    # About every domain records: a scan that finds few has stopped seeing them.
    assert len(SITES) > 60
    assert len({s.path for s in SITES}) > 30


def test_record_is_called_by_its_own_name():
    """The scan follows ``record(...)``: an alias, or ``audit.record``, would slip past it."""
    slipping = []
    for source in SOURCES:
        for path in sorted((ROOT / source).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module == "hub.audit":
                    slipping += [f"{path}: record as {a.asname}" for a in node.names if a.name == "record" and a.asname]
                elif isinstance(node, ast.ImportFrom) and node.module == "hub":
                    slipping += [f"{path}: from hub import audit" for a in node.names if a.name == "audit"]
                elif isinstance(node, ast.Import):
                    slipping += [f"{path}: import hub.audit" for a in node.names if a.name == "hub.audit"]
    assert slipping == []


def test_every_action_recorded_has_a_name():
    unnamed, unread = [], []
    for site in SITES:
        codes = site.codes(2)
        if not codes:
            unread.append(f"{site.where}: {ast.unparse(site.call.args[2])}")
        unnamed += [f"{site.where}: {code}" for code in codes if code not in ACTIONS]
    assert unread == [], "an action built at run time: list its values in BUILT"
    assert unnamed == [], "name each action in hub/audit_actions.py ACTIONS"


def test_every_object_type_recorded_has_a_name():
    unnamed, unread = [], []
    for site in SITES:
        codes = site.codes(3)
        if not codes:
            unread.append(f"{site.where}: {ast.unparse(site.call.args[3])}")
        unnamed += [f"{site.where}: {code}" for code in codes if code not in OBJECT_TYPES]
    assert unread == [], "an object type built at run time: list its values in BUILT"
    assert unnamed == [], "name each object type in hub/audit_actions.py OBJECT_TYPES"


def test_every_detail_recorded_has_a_name():
    unnamed, unread = [], []
    for site in SITES:
        keys, unreadable = site.detail_keys()
        unread += unreadable
        unnamed += [f"{site.where}: {key}" for key in keys if key not in DETAILS]
    assert unread == [], "details given in a dict the scan cannot read: list its keys in SPREAD"
    assert unnamed == [], "name each detail in hub/audit_actions.py DETAILS"


# Modules whose ``purpose`` is not a read's: a keyed digest's (it keeps digests of one use apart).
NOT_READ_PURPOSES = {"hub/sealing.py"}


def purpose_sites() -> list[tuple[str, ast.expr]]:
    """Every purpose the source gives a registry's read (which records it): a ``purpose=`` keyword,
    an argument in the place of a ``purpose: str`` parameter (of a function whose every definition
    of that name has it there), or a module's ``PURPOSE = ...``; with where it is."""
    trees = {
        path: ast.parse(path.read_text(encoding="utf-8"))
        for source in SOURCES
        for path in sorted((ROOT / source).rglob("*.py"))
    }
    places: dict[str, set[int | None]] = {}
    for path, tree in trees.items():
        if str(path.relative_to(ROOT)) in NOT_READ_PURPOSES:
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                params = [*node.args.posonlyargs, *node.args.args]
                params = params[1:] if params and params[0].arg in ("self", "cls") else params
                places.setdefault(node.name, set()).add(
                    next(
                        (
                            i
                            for i, a in enumerate(params)
                            if a.arg == "purpose" and a.annotation is not None and ast.unparse(a.annotation) == "str"
                        ),
                        None,
                    )
                )
    taking = {name: next(iter(found)) for name, found in places.items() if len(found) == 1 and None not in found}
    sites: list[tuple[str, ast.expr]] = []
    for path, tree in trees.items():
        where = str(path.relative_to(ROOT))
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "PURPOSE" for t in node.targets
            ):
                sites.append((f"{where}:{node.lineno}", node.value))
            if not isinstance(node, ast.Call):
                continue
            sites += [(f"{where}:{node.lineno}", k.value) for k in node.keywords if k.arg == "purpose"]
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            position = taking.get(name or "")
            if position is not None and len(node.args) > position:
                sites.append((f"{where}:{node.lineno}", node.args[position]))
    return sites


def recorded_purposes() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The purposes recorded as fixed strings, and those built with an f-string (as its text with
    ``{}`` for each value), each with where it is; purposes passed on in a variable are read where
    the variable is given."""
    fixed, built = [], []
    for where, value in purpose_sites():
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            fixed.append((where, value.value))
        elif isinstance(value, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in value.values)
            built.append((where, text))
    return fixed, built


def test_every_purpose_recorded_has_a_name():
    fixed, built = recorded_purposes()
    patterns = {pattern for pattern, _, _ in PURPOSE_PATTERNS}
    unnamed = [f"{where}: {text!r}" for where, text in fixed if text not in PURPOSES]
    unread = [f"{where}: {text!r}" for where, text in built if text not in patterns]
    assert unnamed == [], "name each purpose in hub/audit_actions.py PURPOSES"
    assert unread == [], "add each purpose built with an id to hub/audit_actions.py PURPOSE_PATTERNS"
    # The scan finds them where the hub gives them: keywords, arguments, module constants.
    texts = {text for _, text in fixed}
    assert {"policies for you", "wallet", "route condition", "benefit amount expected at filing"} <= texts
    assert {"prefill and eligibility of {}", "matching program {}", "claim of program {}"} <= {t for _, t in built}
    # No name kept for a purpose the hub no longer records.
    assert set(PURPOSES) <= texts and patterns <= {t for _, t in built}


def test_the_details_given_in_a_dict_are_found():
    recorded = {key for site in SITES for key in site.detail_keys()[0]}
    # A sign-in page's channel and a failed sign-in's digest, a task move's own details (given to
    # ``move_task``), the reason a workflow's data was opened, a reveal's name and the log's filters.
    assert {"channel", "username_digest", "verdict", "to", "assignee", "kept", "accept"} <= recorded
    assert {"reason", "payloads", "applicant_name", "by", "since", "object_type"} <= recorded
    assert {"purpose", "program", "score"} <= recorded and "request" not in recorded
    assert len(recorded) >= 60


def test_each_detail_value_named_is_a_code_of_its_vocabulary():
    from typing import get_args

    from forms.programs import ProgramMode
    from hub.accounts import API_SCOPES
    from hub.documents.issuer import REVOCATION_CATEGORIES
    from hub.feedback import (
        CHANNEL_LABELS,
        CONTACT_CHANNELS,
        GRIEVANCE_OUTCOMES,
        OUTCOME_LABELS,
        OUTCOMES,
        SUBJECT_LABELS,
        SUBJECTS,
        CaseKind,
    )
    from hub.feedback.views import KIND_LABELS
    from hub.web.pages.benefits import ENTITLEMENT_STATES
    from workflows.benefits.types import EntitlementState
    from workflows.types import Verdict

    values = DETAIL_VALUES
    # The same words as the pages that show these codes elsewhere, so an auditor reads one name.
    assert {k: values["channel"][k] for k in CONTACT_CHANNELS} == CHANNEL_LABELS
    assert set(values["channel"]) == {*CONTACT_CHANNELS, "page"}  # "page": a sign-in on the pages
    assert values["kind"] == KIND_LABELS and set(KIND_LABELS) == set(get_args(CaseKind))
    assert values["outcome"] == OUTCOME_LABELS and set(OUTCOME_LABELS) == {*OUTCOMES, *GRIEVANCE_OUTCOMES}
    assert values["subject"] == SUBJECT_LABELS and set(SUBJECTS) == set(SUBJECT_LABELS)
    assert values["category"] == REVOCATION_CATEGORIES
    assert set(values["mode"]) == set(get_args(ProgramMode))
    assert {k: v for k, v in values["state"].items() if k} == ENTITLEMENT_STATES
    assert set(ENTITLEMENT_STATES) == set(get_args(EntitlementState))
    assert set(values["verdict"]) == set(get_args(Verdict))
    assert set(values["scopes"]) == set(API_SCOPES)
    assert set(values["by"]) == set(BY)
    assert set(values["sources"]) == set(REGISTRY_SOURCES)
    assert set(values) <= set(DETAILS)


def test_details_read_as_words_with_their_codes_beneath():
    detail = {
        "channel": "page",
        "purpose": "job-stabilisation-2026 matching",
        "program": "job-stabilisation-2026",
        "scopes": ["tasks:read", "requests:read"],
        "accept": False,
        "action": "request.",
        "object_type": "document",
        "something_new": "x",
    }
    en = {item["key"]: item for item in detail_items(detail, "en")}
    assert [item["key"] for item in detail_items(detail, "en")] == list(detail)  # as recorded
    assert (en["channel"]["label"], en["channel"]["text"], en["channel"]["code"]) == (
        "Channel",
        "Web pages",
        "channel: page",
    )
    # Free text and identifiers stay as recorded; the key alone is beneath them.
    assert (en["purpose"]["label"], en["purpose"]["text"], en["purpose"]["code"]) == (
        "Purpose",
        "job-stabilisation-2026 matching",
        "purpose",
    )
    assert (en["program"]["label"], en["program"]["text"]) == ("Program", "job-stabilisation-2026")
    assert en["scopes"]["text"] == "Read tasks and Read requests"
    assert en["scopes"]["code"] == 'scopes: ["tasks:read", "requests:read"]'
    assert (en["accept"]["text"], en["accept"]["code"]) == ("No", "accept: false")
    assert en["action"]["text"] == "request."  # a family asked: not an action's code
    assert en["object_type"]["text"] == "Document"
    assert (en["something_new"]["label"], en["something_new"]["text"]) == ("something_new", "x")

    zh = {item["key"]: item for item in detail_items({**detail, "outcome": "resolved"}, "zh_CN")}
    assert (zh["channel"]["label"], zh["channel"]["code"]) == ("渠道", "channel: page")
    assert (zh["outcome"]["label"], zh["outcome"]["text"]) == ("处理结果", "已解决")
    assert zh["purpose"]["text"] == detail["purpose"] and zh["program"]["label"] == "政策"
    assert zh["accept"]["text"] == "否" and zh["object_type"]["text"] == object_type_label("document", "zh_CN")


def test_purposes_and_ids_read_with_titles_in_the_reader_s_language():
    titles = Titles(
        {
            "service": {"graduate-rent-subsidy": "高校毕业生租房补贴"},
            "program": {"job-stabilisation-2026": "2026年稳岗补贴"},
        }
    )
    detail = {
        "purpose": "prefill and eligibility of graduate-rent-subsidy",
        "sources": ["market-regulation", "tax", "social-insurance"],
        "service": "graduate-rent-subsidy",
    }
    zh = {item["key"]: item for item in detail_items(detail, "zh_CN", titles)}
    assert "graduate-rent-subsidy" not in zh["purpose"]["text"] and "高校毕业生租房补贴" in zh["purpose"]["text"]
    assert zh["purpose"]["code"] == "purpose: prefill and eligibility of graduate-rent-subsidy"
    assert zh["service"]["text"] == "高校毕业生租房补贴"
    assert zh["service"]["code"] == "service: graduate-rent-subsidy"
    en = {item["key"]: item for item in detail_items(detail, "en", titles)}
    assert en["sources"]["text"] == "Market regulation, Tax, and Social insurance"
    assert en["purpose"]["text"] == "Prefill and eligibility check for “高校毕业生租房补贴”"
    assert detail_items({"purpose": "policies for you"}, "en")[0]["text"] == "Subsidy policies the enterprise may claim"
    # A program's purpose with its title; an id without a title stays as it is; a reference is one.
    assert detail_items({"purpose": "eligibility for program job-stabilisation-2026"}, "en", titles)[0]["text"] == (
        "Eligibility for “2026年稳岗补贴”"
    )
    assert detail_items({"purpose": "claim of program gone-2020"}, "en", titles)[0]["text"] == "Claim under “gone-2020”"
    assert parse_purpose("supplement of QQ1") == ("request", "QQ1", "Supplement to request {name}")
    # Unknown text stays as recorded.
    assert detail_items({"purpose": "a reason of a newer hub"}, "en")[0]["text"] == "a reason of a newer hub"
    assert parse_purpose("prefill of") is None


def test_a_batch_read_s_object_reads_as_words():
    assert object_id_text("resident", "1 of 3", "en") == "1 found of 3 asked for"
    assert object_id_text("resident", "1 of 3", "zh_CN")
    assert object_id_text("request", "1 of 3", "en") is None
    assert object_id_text("resident", "QQ1", "en") is None


def test_the_actor_choices_offer_the_system():
    assert actor_choices("en") == [(None, [("", "Anyone"), ("system", "The system")])]
    assert actor_choices("en", "robots") == [(None, [("", "Anyone"), ("system", "The system"), ("robots", "robots")])]
    assert [value for value, _ in actor_choices("zh_CN")[0][1]] == ["", "system"]


def test_the_codes_built_at_run_time_are_found():
    recorded = {code for site in SITES for code in site.codes(2)}
    assert {"task.claim", "task.record_post_check", "entitlement.suspended", "entitlement.ended"} <= recorded
    assert {"request.filed", "request.prepared", "claim.prepared", "claim.submitted"} <= recorded
    assert {"temporal.payloads_opened", "temporal.payloads_sealed"} <= recorded
    assert len(recorded) >= 45


def test_each_family_is_named_and_each_name_a_family():
    assert {family_of(code) for code in ACTIONS} == set(FAMILIES)
    assert family_of("benefit.cycle.started") == "benefit"


def test_names_fall_back_to_the_code():
    assert action_label("request.filed", "en") == "Request filed"
    assert action_label("personal_data.revealed", "en") == "Personal data revealed"
    assert action_label("something.new", "en") == "something.new"
    assert action_label("something.new", "zh_CN") == "something.new"
    assert object_type_label("document", "en") == "Document"
    assert object_type_label("gadget", "zh_CN") == "gadget"
    assert action_label("request.filed", "zh_CN")  # in Chinese once translated; never empty


@pytest.mark.parametrize(
    ("asked", "family"),
    [("request.", True), ("api_token.", True), ("request", False), ("request.filed", False), ("nope.", False)],
)
def test_a_family_is_a_known_first_part_and_a_dot(asked, family):
    assert is_family(asked) is family


def test_the_choices_are_grouped_by_family_in_the_order_of_their_names():
    groups = action_choices("en")
    names = [name for name, _ in groups]
    assert names == sorted(names) and len(names) == len(FAMILIES)
    offered = [value for _, choices in groups for value, _ in choices]
    assert sorted(v for v in offered if not v.endswith(".")) == sorted(ACTIONS)
    requests = dict(groups)["Requests"]
    # The whole family first, then its actions by name.
    assert requests[0] == ("request.", "All actions: Requests")
    assert [text for _, text in requests[1:]] == sorted(text for _, text in requests[1:])
    assert ("request.filed", "Request filed") in requests
    # A family of one action is that action alone.
    assert dict(groups)["Uploads"] == [("upload.created", "File uploaded")]
    # Every family offered as a whole is one the filter takes as a family.
    assert all(is_family(v) for v in offered if v.endswith("."))


def test_a_value_asked_that_is_not_offered_is_kept_first():
    assert action_choices("en", "request.filed")[0][0] is not None  # offered already: no extra choice
    assert action_choices("en", "no.such")[0] == (None, [("no.such", "no.such")])
    assert action_choices("zh_CN")  # the Chinese page's choices are made as well


# The filter, on a real SQLite file ---------------------------------------------------------------

AUDITOR = Actor(user=None, locale="en")


async def actions_of(asked: str) -> list[str]:
    page = await read_audit_log(AUDITOR, AuditFilters(action=asked))
    return [e.action for e in page.events]


async def test_a_family_reads_its_actions_and_a_code_its_own(database):
    for action, object_type in [
        ("request.filed", "request"),
        ("request.viewed", "request"),
        ("request.withdrawn", "request"),
        ("task.claim", "task"),
        ("api_token.created", "api_token"),
        # Codes the family's prefix would match read as LIKE: "_" as any character, case ignored.
        ("apiXtoken.created", "api_token"),
        ("REQUEST.filed", "request"),
        ("requests.filed", "request"),
    ]:
        await record(None, None, action, object_type, "1")

    assert sorted(await actions_of("request.")) == ["request.filed", "request.viewed", "request.withdrawn"]
    assert await actions_of("api_token.") == ["api_token.created"]
    assert await actions_of("request.filed") == ["request.filed"]  # the API's exact codes, as before
    assert await actions_of("apiXtoken.created") == ["apiXtoken.created"]  # an unknown code, exactly
    # Neither a code nor a family: taken as a code, which no event has.
    for asked in ("request", "nope.", "request.%", "request._iled", "%", "requests."):
        assert await actions_of(asked) == [], asked
    # Each reading is recorded with what was asked, and is itself of the audit family.
    assert (await actions_of("audit."))[0] == "audit.viewed"


def test_every_role_has_a_name():
    from hub.accounts import ALL_ROLES
    from hub.audit_actions import ROLES, role_label

    assert set(ROLES) == {*ALL_ROLES, "system"}
    assert role_label("clerk", "zh_CN") == "经办人" and role_label("nobody-knows", "en") == "nobody-knows"
    assert role_label(None, "en") == ""


async def test_the_system_s_events_are_read_alone(database):
    from hub.accounts import principal
    from hub.db.tables import Account

    clerk = Account(username="civil.one", full_name="-", role="clerk", password_hash="-", locale="en")
    await clerk.save()
    await record(None, None, "registry.read", "enterprise", "1-9", purpose="matching", count=9)
    await record(None, principal(clerk), "request.viewed", "request", "QQ1")
    await record(None, None, "case.escalated", "case", "FB1", kind="follow_up")

    page = await read_audit_log(AUDITOR, AuditFilters(by="system"))
    assert [(e.action, e.actor) for e in page.events] == [("case.escalated", None), ("registry.read", None)]
    # The readings themselves (by the auditor here, who has no account) are no user's either.
    assert [e.action for e in (await read_audit_log(AUDITOR, AuditFilters(by="system", action="audit."))).events]
    assert [e.actor for e in (await read_audit_log(AUDITOR, AuditFilters(actor="civil.one"))).events] == ["civil.one"]
    everyone = await read_audit_log(AUDITOR, AuditFilters())
    assert {"civil.one", None} == {e.actor for e in everyone.events}
    # The reading is recorded with what was asked.
    assert (await read_audit_log(AUDITOR, AuditFilters(action="audit.viewed"))).events[-1].detail == {"by": "system"}

    with pytest.raises(HubError) as wrong:
        await read_audit_log(AUDITOR, AuditFilters(by="robots"))
    assert [(e.field, e.code) for e in wrong.value.errors] == [("by", "literal_error")]
    with pytest.raises(HubError) as both:
        await read_audit_log(AUDITOR, AuditFilters(by="system", actor="civil.one"))
    assert [(e.field, e.code) for e in both.value.errors] == [("actor", "not_applicable")]
