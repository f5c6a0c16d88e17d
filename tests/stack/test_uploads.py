"""Uploads for file fields: the type is read from the content, sizes are bounded, names are never paths."""

from __future__ import annotations

import pytest

from tests.stack.harness import Api

pytestmark = pytest.mark.stack

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n"


@pytest.fixture(scope="module")
def applicant(stack):
    return Api(stack.base_url, "lisi", locale="en")


def test_a_pdf_is_accepted_and_its_name_cleaned(applicant):
    r = applicant.post("/api/uploads", files={"data": ("../../etc/passwd/证明.pdf", PDF)})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["id"].startswith("upl_") and body["media_type"] == "application/pdf" and body["size"] == len(PDF)
    assert body["filename"] == "证明.pdf"


def test_the_type_comes_from_the_content_not_the_name(applicant):
    r = applicant.post("/api/uploads", files={"data": ("photo.jpg", b"MZ\x90\x00 this is an executable")})
    assert r.status_code == 415
    assert r.json()["type"] == "/problems/unsupported-file-type"
    assert "content" in r.json()["detail"]


def test_an_oversized_file_is_refused(applicant):
    r = applicant.post("/api/uploads", files={"data": ("big.pdf", PDF + b"0" * (10 * 1024 * 1024))})
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("application/problem+json")


def test_an_empty_file_is_refused(applicant):
    assert applicant.post("/api/uploads", files={"data": ("empty.pdf", b"")}).status_code in (400, 422)


def test_uploads_need_an_applicant(stack):
    assert Api(stack.base_url).post("/api/uploads", files={"data": ("a.pdf", PDF)}).status_code == 401
    assert Api(stack.base_url, "street.clerk").post("/api/uploads", files={"data": ("a.pdf", PDF)}).status_code == 403


def test_an_answer_cannot_use_someone_elses_upload(stack, applicant):
    mine = applicant.post("/api/uploads", files={"data": ("cert.pdf", PDF)}).json()["id"]
    other = Api(stack.base_url, "zhaoliu", locale="en")
    service = other.get("/api/services/maternity-allowance").json()
    file_field = next(f for f in service["fields"] if f["type"] == "file")
    r = other.post(
        "/api/requests",
        json={"service_id": "maternity-allowance", "answers": {file_field["name"]: mine}},
        headers={"Idempotency-Key": "someone-elses-upload"},
    )
    assert r.status_code == 422
    errors = {e["field"]: e["code"] for e in r.json()["errors"]}
    assert errors[file_field["name"]] == "file_unknown"


# Hostile uploads -------------------------------------------------------------------------------


def test_html_disguised_as_a_pdf_is_refused(applicant):
    r = applicant.post(
        "/api/uploads",
        files={"data": ("invoice.pdf", b"<html><script>alert(1)</script></html>", "application/pdf")},
    )
    assert r.status_code == 415 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["title"] == "Unsupported file type"


def test_path_like_names_never_become_paths(stack, applicant):
    target = stack.root / "evil.sh"
    for name, shown in [
        (f"../../../../{target}", "evil.sh"),
        ("..\\..\\windows\\system32\\drivers.pdf", "drivers.pdf"),
        ("..", "upload"),
        ("/etc/passwd", "passwd"),
        (".hidden.pdf", "hidden.pdf"),
    ]:
        r = applicant.post("/api/uploads", files={"data": (name, PDF + name.encode())})
        assert r.status_code == 201, r.text
        assert r.json()["filename"] == shown
    assert not target.exists()
    stored = [p.name for p in (stack.root / "var" / "documents").rglob("*") if p.is_file()]
    assert stored and all(not name.endswith((".sh", ".pdf", "passwd")) for name in stored)


def test_a_request_without_a_file_gets_a_clear_error(applicant):
    r = applicant.post("/api/uploads", content=PDF, headers={"Content-Type": "application/pdf"})
    assert 400 <= r.status_code < 500 and r.headers["content-type"].startswith("application/problem+json")


def test_an_oversized_file_is_refused_in_chinese_too(stack):
    r = Api(stack.base_url, "lisi", locale="zh-CN").post(
        "/api/uploads", files={"data": ("big.png", b"\x89PNG\r\n\x1a\n" + b"0" * (11 * 1024 * 1024))}
    )
    assert r.status_code == 413 and r.json()["title"] != "Request too large"
