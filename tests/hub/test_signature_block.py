"""A document's signature block (the issuing department and the date, where the seal goes) never
stands alone at the top of a page: the last lines of the text before it go over with it."""

from __future__ import annotations

import subprocess

import pytest

from hub.documents.render import DocumentFacts, ReviewLine, render_pdf

ISSUER = "杭州市西湖区民政局"
RIGHTS = "如不服本决定，可在收到本决定书之日起六十日内申请行政复议，或者在六个月内依法提起行政诉讼。"


def decision(reviews: int) -> DocumentFacts:
    """An approval with as many reviews as asked: each adds a row, moving the end down the page."""
    return DocumentFacts(
        kind="decision",
        locale="zh_CN",
        number="JD-2026-000042",
        ref="QQ2612067AKK6JRW",
        issued_on="2026年12月6日",
        issuer=ISSUER,
        service_title="80周岁以上老年人高龄津贴",
        legal_basis="《中华人民共和国老年人权益保障法》第三十三条；本市高龄津贴发放管理办法",
        applicant_name="张三",
        applicant_id_label="公民身份号码",
        applicant_id="3301**********0011",
        approved=True,
        filed_on="2026年12月1日",
        reviews=[
            ReviewLine("西湖街道办事处", f"居住核查{n + 1}", "approve", "住址核实无误", "2026年12月2日")
            for n in range(reviews)
        ],
        rights=RIGHTS,
        verification_code="VXT3P3GTJD",
        verify_url="https://hub.example.gov.cn/verify/VXT3P3GTJD",
    )


def pages_of(pdf: bytes) -> list[str]:
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return ["".join(page.split()) for page in text.split("\f") if page.strip()]


# From three reviews the end nears the foot of page 1; from eighteen, of page 2 (each row adds a line).
@pytest.mark.parametrize("reviews", range(3, 23))
def test_the_issuer_and_date_keep_the_last_lines_of_the_text_with_them(reviews):
    pages = pages_of(render_pdf(decision(reviews)))
    signed = [p for p in pages if ISSUER + "2026年12月6日" in p]
    assert len(signed) == 1, f"{reviews} reviews: the issuer and the date are split over two pages"
    assert "".join(RIGHTS.split())[-12:] in signed[0], f"{reviews} reviews: the signature block is alone on its page"


# The verification block (QR code, address and code) follows the signature block onto its page: a
# second page holding only it is checked apart from what it verifies.
@pytest.mark.parametrize("reviews", range(3, 23))
def test_the_verification_block_stays_with_the_signature_block(reviews):
    pages = pages_of(render_pdf(decision(reviews)))
    signed = [n for n, p in enumerate(pages) if ISSUER + "2026年12月6日" in p]
    verified = [n for n, p in enumerate(pages) if "VXT3P3GTJD" in p and "hub.example.gov.cn/verify" in p]
    assert verified == signed, f"{reviews} reviews: the verification code is on page {verified}, the seal on {signed}"
