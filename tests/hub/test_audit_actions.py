"""The audit log's vocabulary: every action and object type the hub records has a name (read from
the ``record(...)`` calls of the source, the codes built at run time included), the families the
log is filtered by are the codes' own, and a family reads the events of its actions only, on a real
SQLite file."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from hub.actor import Actor
from hub.audit import AuditFilters, read_audit_log, record
from hub.audit_actions import (
    ACTIONS,
    FAMILIES,
    OBJECT_TYPES,
    action_choices,
    action_label,
    family_of,
    is_family,
    object_type_label,
)
from hub.benefits.changes import MOVES as ENTITLEMENT_MOVES
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
