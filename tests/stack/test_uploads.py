"""Uploads for file fields: the type is read from the content, sizes are bounded, names are never
paths; the files are sealed at rest and opened only for the applicant and the reviewing department
(a personal file after a recorded reveal)."""

from __future__ import annotations

import pytest

from forms.catalog import load_catalog
from hub.db.records import load_json
from tests.stack.db import sql
from tests.stack.flows import CHECKERS, CLERKS, SAMPLE_FILES, file_service, open_task
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


def test_attached_files_are_sealed_at_rest_and_opened_only_for_those_allowed(stack):
    spec = load_catalog().latest("residence-permit")
    applicant, filed = file_service(stack, spec)
    ref = filed["ref"]
    attached = {a["field"]: a for a in applicant.get(f"/api/requests/{ref}").json()["attachments"]}
    assert attached["photo"]["personal"] and not attached["proof_of_ground"]["personal"]
    sent = {field: SAMPLE_FILES[spec.field(field).accept[0]][1] for field in attached}

    # At rest the bytes are sealed: the stored file is not the uploaded one and does not contain it.
    answers = sql(stack, "SELECT answers FROM service_request WHERE ref = {}", ref)[0]["answers"]
    token = load_json(answers)["proof_of_ground"]
    (row,) = sql(stack, "SELECT sha256 FROM upload WHERE token = {}", token)
    stored = (stack.root / "var" / "documents" / row["sha256"][:2] / row["sha256"]).read_bytes()
    assert sent["proof_of_ground"] not in stored and not stored.startswith(b"%PDF")

    # The applicant downloads their own files as they sent them; anyone else's request is not found.
    for field, content in sent.items():
        r = applicant.get(f"/api/requests/{ref}/attachments/{field}")
        assert r.status_code == 200 and r.content == content
        assert r.headers["content-disposition"].startswith("attachment")
    assert Api(stack.base_url, "zhaoliu").get(f"/api/requests/{ref}/attachments/photo").status_code == 404

    # The reviewing department's clerk: the proof at once, the photo only after revealing with a reason.
    clerk = Api(stack.base_url, CLERKS["street-office"], locale="en")
    task = open_task(clerk, ref)
    listed = {a["field"]: a for a in clerk.get(f"/api/tasks/{task['id']}").json()["attachments"]}
    assert listed["photo"]["filename"] == "" and listed["proof_of_ground"]["filename"] == "proof.pdf"
    proof = clerk.get(f"/api/tasks/{task['id']}/attachments/proof_of_ground")
    assert proof.status_code == 200 and proof.content == sent["proof_of_ground"]
    hidden = clerk.get(f"/api/tasks/{task['id']}/attachments/photo")
    assert hidden.status_code == 403 and hidden.json()["type"] == "/problems/reveal-first"
    reveal = {"fields": ["photo"], "reason": "核对本人照片"}
    assert clerk.post(f"/api/tasks/{task['id']}/reveal", json=reveal).status_code == 200
    photo = clerk.get(f"/api/tasks/{task['id']}/attachments/photo")
    assert photo.status_code == 200 and photo.content == sent["photo"]
    # Another clerk of the same department has revealed nothing: the photo stays closed to them.
    assert (
        Api(stack.base_url, CHECKERS["street-office"]).get(f"/api/tasks/{task['id']}/attachments/photo").status_code
        == 403
    )
    # Another department cannot open the task's files at all; nor can a field that is not a file.
    other = Api(stack.base_url, CLERKS["public-security"])
    assert other.get(f"/api/tasks/{task['id']}/attachments/proof_of_ground").status_code == 404
    assert clerk.get(f"/api/tasks/{task['id']}/attachments/living_here_since").status_code == 404

    downloads = sql(
        stack,
        "SELECT object_type, detail FROM audit_event WHERE request_ref = {} AND action = {}",
        ref,
        "attachment.downloaded",
    )
    assert len(downloads) == 4  # two by the applicant, the proof and the revealed photo by the clerk
