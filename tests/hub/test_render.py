"""Rendering a document to PDF with the real renderer: text, fonts and the verification QR code."""

import asyncio
import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from hub.documents.fonts import FONT_FILE, characters
from hub.documents.render import BenefitLines, DocumentFacts, RenderPool, ReviewLine, render_pdf


def notice(locale: str) -> DocumentFacts:
    return DocumentFacts(
        kind="payment_notice",
        locale=locale,
        number="BT-2026-000123",
        ref="BT2611284MWVHB23",
        issued_on="2026-11-28",
        issuer="杭州市人力资源和社会保障局",
        service_title="新招用员工社保补贴",
        legal_basis="《杭州市稳就业若干政策》第三条",
        applicant_name="杭州云栖科技有限公司",
        applicant_id_label="统一社会信用代码",
        applicant_id="91330100MA2C8XQY1X",
        approved=True,
        filed_on="2026-11-28",
        amount="¥40,000.00",
        verification_code="K7QH-2M9D-XR4C",
        verify_url="https://hub.example.gov.cn/verify/K7QH-2M9D-XR4C",
        payment_ref="LEDGER-00000004",
        paid_on="2026-11-28 20:30",
        paid_to="6222 **** **** 1234",
    )


def run(tool: list[str], pdf: bytes) -> str:
    return subprocess.run(tool, input=pdf, capture_output=True, check=True).stdout.decode()


def listing(tool: str, pdf: bytes, tmp_path) -> str:
    """What ``pdffonts`` or ``pdfimages -list`` says of the PDF (they read files, not stdin)."""
    path = tmp_path / "listed.pdf"
    path.write_bytes(pdf)
    args = [tool, "-list"] if tool == "pdfimages" else [tool]
    return subprocess.run([*args, str(path)], capture_output=True, check=True, text=True).stdout


def fonts_in(pdf: bytes, tmp_path) -> str:
    return listing("pdffonts", pdf, tmp_path)


def test_documents_use_their_own_font_and_fall_back_for_rare_characters(tmp_path):
    assert FONT_FILE.exists(), "setup builds the documents' font"
    common = render_pdf(notice("zh_CN"))
    assert "Qinqing-Document-Sans" in fonts_in(common, tmp_path)
    assert "WenQuanYi" not in fonts_in(common, tmp_path)

    # 喆 and 堃 are outside GB 2312: they come from the full system font, and still read back.
    rare = render_pdf(dataclasses.replace(notice("zh_CN"), applicant_name="杭州王喆堃科技有限公司"))
    assert "杭州王喆堃科技有限公司" in run(["pdftotext", "-", "-"], rare)
    assert "Qinqing-Document-Sans" in fonts_in(rare, tmp_path) and "WenQuanYi" in fonts_in(rare, tmp_path)

    english = render_pdf(notice("en"))
    assert "Subsidy payment notice" in run(["pdftotext", "-", "-"], english)


def test_the_documents_font_covers_gb2312():
    chars = characters()
    assert len([c for c in chars if 0x4E00 <= c <= 0x9FFF]) == 6763  # GB 2312's hanzi, both levels
    assert {ord(c) for c in "杭州市人民政府补贴拨付通知书¥，。《》（）ABCxyz019"} <= chars
    assert ord("喆") not in chars


def test_notice_has_its_facts_a_subset_font_and_a_sharp_qr_code(tmp_path):
    pdf = render_pdf(notice("zh_CN"))
    text = run(["pdftotext", "-", "-"], pdf)
    assert "补贴拨付通知书" in text and "杭州云栖科技有限公司" in text
    assert "https://hub.example.gov.cn/verify/K7QH-2M9D-XR4C" in text and "K7QH-2M9D-XR4C" in text

    fonts = fonts_in(pdf, tmp_path)
    embedded = [line for line in fonts.splitlines()[2:] if line.strip()]
    assert embedded and all(" yes yes yes " in line for line in embedded)  # embedded, subset, with ToUnicode
    # One copy of one font: the documents use a single weight (a synthesised bold is a second copy).
    assert len(embedded) == 1 and "Bold" not in embedded[0], fonts

    # The QR code is one square image, drawn without smoothing so its modules stay sharp.
    images = listing("pdfimages", pdf, tmp_path)
    rows = [line.split() for line in images.splitlines()[2:] if line.strip()]
    assert len(rows) == 1
    width, height, interpolate = int(rows[0][3]), int(rows[0][4]), rows[0][9]
    assert width == height >= 100 and interpolate == "no"


POOL_OWNER = """
import sys, time
from hub.documents.render import start_render_pool

if __name__ == "__main__":
    pool = start_render_pool(2)
    list(pool.map(abs, range(4)))  # both processes started and warmed up
    print(" ".join(str(pid) for pid in pool._processes), flush=True)
    time.sleep(600)
"""


def test_render_processes_end_when_their_worker_is_killed(tmp_path):
    """A worker killed outright (SIGKILL, out of memory) must not leave its render processes behind."""
    script = tmp_path / "owner.py"
    script.write_text(POOL_OWNER)
    root = Path(__file__).resolve().parents[2]
    owner = subprocess.Popen([sys.executable, str(script)], cwd=root, stdout=subprocess.PIPE, text=True)
    children = [int(pid) for pid in owner.stdout.readline().split()]
    assert len(children) == 2 and all(Path(f"/proc/{pid}").exists() for pid in children)

    owner.send_signal(signal.SIGKILL)
    owner.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in children):
        time.sleep(0.2)
    left = [pid for pid in children if Path(f"/proc/{pid}").exists()]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == [], "render processes outlived their worker"


def test_a_pool_whose_render_process_died_is_replaced():
    """A render process killed (out of memory, by an operator) leaves its pool refusing all work;
    the document that finds it so, and every one after, is rendered by a new pool."""
    renderer = RenderPool(1)

    async def render_kill_render() -> tuple[bytes, bytes, bool]:
        first = await renderer.render(notice("en"))
        broken = renderer.executor()
        for pid in list(broken._processes):
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in broken._processes):
            await asyncio.sleep(0.05)
        second = await renderer.render(notice("en"))
        return first, second, renderer.executor() is not broken

    try:
        first, second, replaced = asyncio.run(render_kill_render())
    finally:
        renderer.shutdown()
    assert replaced
    assert first.startswith(b"%PDF-") and second.startswith(b"%PDF-")
    text = run(["pdftotext", "-", "-"], first)
    assert "Subsidy payment notice" in text and run(["pdftotext", "-", "-"], second) == text


def page_images(pdf: bytes, tmp_path, name: str) -> list[bytes]:
    """Each page of the PDF as a grey image (PGM), the way a printer would see it."""
    source = tmp_path / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "100", "-gray", str(source), str(tmp_path / name)], check=True)
    return [page.read_bytes() for page in sorted(tmp_path.glob(f"{name}-*.pgm"))]


def test_the_verification_qr_code_reads_back_as_the_documents_address(tmp_path):
    import zxingcpp
    from PIL import Image

    pdf = render_pdf(notice("zh_CN"))
    source = tmp_path / "notice.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(source), str(tmp_path / "page")], check=True)
    [page] = sorted(tmp_path.glob("page-*.png"))
    codes = zxingcpp.read_barcodes(Image.open(page))
    assert [c.text for c in codes] == ["https://hub.example.gov.cn/verify/K7QH-2M9D-XR4C"]


def every_kind_of_document(locale: str) -> list[DocumentFacts]:
    """One document of each kind with every optional part filled in, so each template branch shows."""
    full = dataclasses.replace(
        notice(locale),
        reviews=[
            ReviewLine("西湖街道办事处", "居住核查", "approve", "住址核实无误", "2026-11-21"),
            ReviewLine("区民政局", "津贴审批", "reject", "", "2026-11-25"),
        ],
        reasons=["参保职工不足 5 人", "成立未满一年"],
        time_limit_days=15,
        departments=["西湖街道办事处", "区民政局"],
        requested=["户口簿首页", "近三个月社保缴费记录"],
        message="请补充以下材料。",
    )
    benefit = BenefitLines(
        "每月¥300.00", "90–99", "起始发放月份", "2026年12月", "发放至银行账户", "6222****0123", "每月10日"
    )
    return [
        dataclasses.replace(full, kind="decision"),
        dataclasses.replace(full, kind="decision", reasons=[], benefit=benefit, rights="如不服本决定……"),
        dataclasses.replace(full, kind="decision", approved=False),
        dataclasses.replace(full, kind="certificate"),
        dataclasses.replace(full, kind="receipt"),
        dataclasses.replace(full, kind="information_request"),
        full,
    ]


def test_the_documents_own_user_agent_stylesheet_draws_what_the_full_one_draws(tmp_path):
    """The documents are laid out with a user-agent stylesheet cut down to the elements their
    templates use. Every kind, in both languages, must come out pixel for pixel as with WeasyPrint's
    own; a template that starts using another element fails here until the stylesheet covers it."""
    from weasyprint import HTML

    from hub.documents.render import TEMPLATES, _fonts, _stylesheet, render_html

    for locale in ("zh_CN", "en"):
        for n, facts in enumerate(every_kind_of_document(locale)):
            full = HTML(string=render_html(facts), base_url=str(TEMPLATES))
            expected = full.write_pdf(stylesheets=[_stylesheet()], font_config=_fonts())
            name = f"{locale}-{facts.kind}-{n}"
            assert page_images(render_pdf(facts), tmp_path, name) == page_images(expected, tmp_path, f"{name}-full"), (
                f"{facts.kind} ({locale}) differs from the full stylesheet's"
            )
