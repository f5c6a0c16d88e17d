"""The shared store: documents and uploads kept in an S3-compatible object store (here moto's S3
server, over HTTP) instead of a local folder, so that every machine of a deployment finds them.
The same contract as the local files: named by SHA-256, put idempotent, get checks the bytes,
deleting what is not there is harmless; and the running hub, configured with one setting, issues
and serves its documents from the bucket."""

from __future__ import annotations

import contextlib
import hashlib

import boto3
import pytest
from moto.server import ThreadedMotoServer

from hub.documents.storage import S3ContentStore, content_store
from hub.settings import SettingsError, load_settings
from tests.stack.db import sql
from tests.stack.flows import file_request, wait_for
from tests.stack.harness import Api, free_port, start_stack

pytestmark = pytest.mark.stack

BUCKET = "qinqing-documents"
PREFIX = "hub-test"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n"


@contextlib.contextmanager
def running_s3():
    """A running S3-compatible server with an empty bucket; yields the settings that point the hub at it."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    env = {
        "QINQING_CONTENT_STORE_URL": f"s3://{BUCKET}/{PREFIX}",
        "QINQING_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "QINQING_S3_ACCESS_KEY": "testing",
        "QINQING_S3_SECRET_KEY": "testing",
        "QINQING_S3_REGION": "us-east-1",
    }
    try:
        raw(env).create_bucket(Bucket=BUCKET)
        yield env
    finally:
        server.stop()


@pytest.fixture(scope="module")
def s3_env():
    with running_s3() as env:
        yield env


def raw(env: dict[str, str]):
    """A boto3 client of its own, to look into (and tamper with) the bucket behind the hub's back."""
    return boto3.client(
        "s3",
        endpoint_url=env["QINQING_S3_ENDPOINT_URL"],
        aws_access_key_id=env["QINQING_S3_ACCESS_KEY"],
        aws_secret_access_key=env["QINQING_S3_SECRET_KEY"],
        region_name=env["QINQING_S3_REGION"],
    )


@pytest.fixture(scope="module")
def store(s3_env) -> S3ContentStore:
    built = content_store(load_settings(s3_env))
    assert isinstance(built, S3ContentStore)
    return built


def objects(env: dict[str, str]) -> dict[str, bytes]:
    client = raw(env)
    listing = client.list_objects_v2(Bucket=BUCKET, Prefix=f"{PREFIX}/").get("Contents", [])
    return {o["Key"]: client.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read() for o in listing}


def test_put_get_delete_round_trip(store, s3_env):
    data = b"sealed bytes " + hashlib.sha256(b"round trip").digest()
    digest = store.put(data)
    assert digest == hashlib.sha256(data).hexdigest()
    assert store.get(digest) == data
    assert objects(s3_env)[f"{PREFIX}/{digest[:2]}/{digest}"] == data
    store.delete(digest)
    assert f"{PREFIX}/{digest[:2]}/{digest}" not in objects(s3_env)
    with pytest.raises(FileNotFoundError):
        store.get(digest)
    store.delete(digest)  # deleting what is not there is harmless


def test_put_is_idempotent(store, s3_env):
    data = b"the same bytes twice"
    assert store.put(data) == store.put(data) == hashlib.sha256(data).hexdigest()
    assert list(objects(s3_env).values()).count(data) == 1
    assert store.get(hashlib.sha256(data).hexdigest()) == data


def test_corruption_is_detected(store, s3_env):
    digest = store.put(b"bytes that will be changed")
    raw(s3_env).put_object(Bucket=BUCKET, Key=store.key(digest), Body=b"bytes that were changed")
    with pytest.raises(OSError, match="corrupted"):
        store.get(digest)


def test_names_are_digests_only(store):
    with pytest.raises(ValueError):
        store.get("../../etc/passwd")


def test_bad_store_settings_fail_at_start():
    for url in ("ftp://bucket/x", "s3://", "/srv/documents"):
        with pytest.raises(SettingsError, match="CONTENT_STORE_URL"):
            load_settings({"QINQING_CONTENT_STORE_URL": url})
    with pytest.raises(SettingsError, match="S3_ENDPOINT_URL"):
        load_settings({"QINQING_S3_ENDPOINT_URL": "http://127.0.0.1:9000"})


@pytest.fixture(scope="module")
def s3_stack(tmp_path_factory, s3_env):
    hub = start_stack(tmp_path_factory.mktemp("s3-stack"), **s3_env)
    try:
        yield hub
    finally:
        hub.shutdown()


def test_the_running_hub_keeps_documents_and_uploads_in_the_bucket(s3_stack, s3_env):
    citizen = Api(s3_stack.base_url, "zhangsan")

    # An upload, stored by the web server: sealed in the bucket.
    r = citizen.post("/api/uploads", files={"data": ("proof.pdf", PDF)})
    assert r.status_code == 201, r.text
    (upload,) = sql(s3_stack, "SELECT sha256 FROM upload WHERE token = {}", r.json()["id"])
    stored = objects(s3_env)[f"{PREFIX}/{upload['sha256'][:2]}/{upload['sha256']}"]
    assert hashlib.sha256(stored).hexdigest() == upload["sha256"] and PDF not in stored

    # A receipt, issued and stored by the worker, downloaded through the web server.
    ref = file_request(citizen).json()["ref"]

    def receipt():
        documents = citizen.get(f"/api/requests/{ref}").json()["documents"]
        return next((d for d in documents if d["kind"] == "receipt"), None)

    document = wait_for(receipt, what="the receipt")
    (row,) = sql(s3_stack, "SELECT sha256, stored_as FROM document WHERE id = {}", document["id"])
    in_bucket = objects(s3_env)
    assert f"{PREFIX}/{row['stored_as'][:2]}/{row['stored_as']}" in in_bucket
    assert not any(b"%PDF" in data for data in in_bucket.values())  # sealed at rest

    r = citizen.get(document["download_url"])
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert hashlib.sha256(r.content).hexdigest() == row["sha256"] == document["sha256"]

    # Nothing went to the local folder.
    local = s3_stack.root / "var" / "documents"
    assert not local.exists() or not any(p.is_file() for p in local.rglob("*"))
