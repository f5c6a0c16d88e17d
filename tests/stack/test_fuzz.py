"""A property-based fuzz of the JSON API from its own OpenAPI schema (schemathesis): whatever the
body, parameters and headers, and whoever calls (nobody, a citizen, a clerk, an administrator),
the hub never answers with a server error.

It runs on a stack of its own: fuzzed sign-ins would otherwise lock the test machine's address
out, and fuzzed clerks would act on other tests' tasks. Bounded: a few examples per operation.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.stack.harness import Api, start_stack

pytestmark = pytest.mark.stack

# Fewer on PostgreSQL, where an example costs about twice as much (190 s against 84 for ten): four
# an operation and role there, ten in the run on SQLite.
DEFAULT_EXAMPLES = "4" if os.environ.get("QINQING_TEST_DATABASE_URL") else "10"
EXAMPLES_PER_OPERATION = int(os.environ.get("QINQING_FUZZ_EXAMPLES", DEFAULT_EXAMPLES))
ROLES = (None, "zhangsan", "yunqi.preparer", "street.clerk", "street.supervisor", "admin")


@pytest.fixture(scope="module")
def fuzz_stack(tmp_path_factory):
    # On PostgreSQL the harness gives this stack a database of its own.
    hub = start_stack(
        tmp_path_factory.mktemp("fuzz"),
        QINQING_SIGNIN_MAX_FAILURES_PER_ADDRESS="100000",
        QINQING_SIGNIN_MAX_FAILURES="100000",
    )
    try:
        yield hub
    finally:
        hub.shutdown()


@pytest.fixture(scope="module")
def tokens(fuzz_stack):
    return {role: Api(fuzz_stack.base_url, role).http.headers["Authorization"] for role in ROLES if role}


def test_no_server_error(fuzz_stack, tokens):
    schema = schemathesis.openapi.from_url(f"{fuzz_stack.base_url}/schema/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def fuzz(case):
            for role in ROLES:
                headers = {"Authorization": tokens[role]} if role else {}
                if case.path == "/api/auth/logout":
                    headers = {}  # signing out would end the session the other examples use
                response = case.call(base_url=fuzz_stack.base_url, headers=headers)
                if response.status_code >= 500:
                    failures.append(
                        f"{case.method} {case.formatted_path} as {role or 'nobody'}: {response.status_code} "
                        f"{response.text[:300]}"
                    )
                    return

        fuzz()
    assert operations >= 30
    assert not failures, "server errors:\n" + "\n".join(failures[:20])
