"""Workflow tests against a real Temporal dev server, one per test."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from tests.stack.harness import start_temporal


@pytest.fixture
async def env(tmp_path):
    """A dev server of the test's own, started as the stack's is (on another port if the free one
    found is taken before it binds: other test processes start servers too), and a client that
    speaks the hub's payloads (``env.client``)."""
    server = start_temporal(tmp_path)
    try:
        client = await Client.connect(server.address, data_converter=pydantic_data_converter)
        yield SimpleNamespace(client=client)
    finally:
        server.stop()
