"""Documents per second: one renderer versus the process pool the worker uses.

Renders decision notices with the hub's own code (Jinja + WeasyPrint, real fonts), in Chinese and
in English, first one after another in a single process, then on a pool of processes (as the
worker does). Prints documents per second, the median time per document and the PDF size, and the
pool's throughput as a multiple of the single renderer's (target: at least 1.7 on 2 cores).

    .venv/bin/python -m bench.documents [--documents 40] [--processes 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from hub.documents.render import DocumentFacts, ReviewLine, render_pdf, start_render_pool, warm_up

TARGET = 1.7


def sample(locale: str, n: int) -> DocumentFacts:
    zh = locale == "zh_CN"
    return DocumentFacts(
        kind="decision",
        locale=locale,
        number=f"西民〔2026〕{n}号",
        ref=f"QQ261128BENCH{n:03d}",
        issued_on="2026年11月28日" if zh else "November 28, 2026",
        issuer="区民政局" if zh else "District Civil Affairs Bureau",
        service_title="80周岁以上老年人高龄津贴" if zh else "Old-age allowance for residents aged 80 and over",
        legal_basis="《中华人民共和国老年人权益保障法》第三十三条"
        if zh
        else "Law on the Protection of the Rights and Interests of the Elderly, Article 33",
        applicant_name="张三" if zh else "Zhang San",
        applicant_id_label="居民身份证号码" if zh else "Resident identity number",
        applicant_id="3301**********0011",
        approved=True,
        filed_on="2026年11月20日" if zh else "November 20, 2026",
        reviews=[
            ReviewLine(
                "西湖街道办事处" if zh else "Xihu Sub-district Office",
                "居住核查" if zh else "Residence check",
                "approve",
                "住址核实无误" if zh else "Address checked",
                "2026年11月21日" if zh else "November 21, 2026",
            ),
            ReviewLine(
                "区民政局" if zh else "District Civil Affairs Bureau",
                "津贴审批" if zh else "Approval",
                "approve",
                "同意" if zh else "Approved",
                "2026年11月25日" if zh else "November 25, 2026",
            ),
        ],
        amount="¥1,200.00",
        verification_code="ABCDE23456",
        verify_url="http://127.0.0.1:8000/verify/ABCDE23456",
    )


def timed(facts: DocumentFacts) -> tuple[float, int]:
    start = time.perf_counter()
    size = len(render_pdf(facts))
    return time.perf_counter() - start, size


def run(locale: str, documents: int, processes: int) -> dict[str, float]:
    batch = [sample(locale, i) for i in range(documents)]
    warm_up()
    timed(batch[0])  # fonts and templates loaded once, as in a running worker
    start = time.perf_counter()
    single = [timed(f) for f in batch]
    single_rate = documents / (time.perf_counter() - start)
    with start_render_pool(processes) as pool:
        list(pool.map(timed, batch[:processes]))  # warm every process
        start = time.perf_counter()
        pooled = list(pool.map(timed, batch))
        pool_rate = documents / (time.perf_counter() - start)
    return {
        "single_rate": single_rate,
        "pool_rate": pool_rate,
        "single_median_ms": statistics.median(t for t, _ in single) * 1000,
        "pool_median_ms": statistics.median(t for t, _ in pooled) * 1000,
        "size_kb": statistics.median(s for _, s in single) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=40)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    print(f"{args.documents} decision notices per run; pool of {args.processes} processes; {os.cpu_count()} cores")
    print(
        f"{'language':<9} {'single doc/s':>12} {'pool doc/s':>11} {'pool/single':>12} {'median ms (1/pool)':>19} {'PDF KB':>7}"
    )
    ok = True
    for locale in ("zh_CN", "en"):
        r = run(locale, args.documents, args.processes)
        ratio = r["pool_rate"] / r["single_rate"]
        ok &= ratio >= TARGET
        print(
            f"{locale:<9} {r['single_rate']:>12.1f} {r['pool_rate']:>11.1f} {ratio:>11.2f}x "
            f"{r['single_median_ms']:>9.0f} / {r['pool_median_ms']:<7.0f} {r['size_kb']:>7.1f}"
        )
    print(f"target: pool at least {TARGET}x a single renderer -> {'PASS' if ok else 'FAIL'}")


if __name__ == "__main__":
    main()
