"""Documents per second: one renderer versus the process pool the worker uses.

Renders decision notices with the hub's own code (Jinja + WeasyPrint, real fonts), in Chinese and
in English: one after another in a single process (the baseline), and on a pool of processes (as the
worker does). The two alternate, ``--rounds`` times a batch of ``--documents`` each, the order
swapped every round, because this machine's speed drifts within minutes: a ratio of two moments apart
measures the drift as much as the pool. Prints each round's documents per second and ratio, the
median time per document and the PDF size; the verdict is the median of the rounds' ratios (target:
the pool at least 1.7 times a single renderer on 2 cores).

    .venv/bin/python -m bench.documents [--documents 60] [--rounds 5] [--processes 2]
    .venv/bin/python -m bench.documents --documents 4 --rounds 1     # smoke run, seconds
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from tqdm import tqdm

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


def run(locale: str, documents: int, processes: int, rounds: int, bar: tqdm) -> bool:
    """Alternating rounds of single and pooled batches for one language; prints them; True if the median ratio meets the target."""
    batch = [sample(locale, i) for i in range(documents)]
    warm_up()
    timed(batch[0])  # fonts and templates loaded once, as in a running worker
    single: list[tuple[float, int]] = []
    pooled: list[tuple[float, int]] = []
    ratios = []
    with start_render_pool(processes) as pool:
        list(pool.map(timed, batch[:processes]))  # warm every process

        def one_by_one() -> float:
            start = time.perf_counter()
            for f in batch:
                single.append(timed(f))
                bar.update()
            return documents / (time.perf_counter() - start)

        def on_the_pool() -> float:
            start = time.perf_counter()
            for result in pool.map(timed, batch):
                pooled.append(result)
                bar.update()
            return documents / (time.perf_counter() - start)

        for n in range(1, rounds + 1):
            # Swapped every round, so that neither always runs first after the other.
            if n % 2:
                single_rate, pool_rate = one_by_one(), on_the_pool()
            else:
                pool_rate, single_rate = on_the_pool(), one_by_one()
            ratios.append(pool_rate / single_rate)
            tqdm.write(f"{locale:<9}{n:>6} {single_rate:>12.1f} {pool_rate:>11.1f} {ratios[-1]:>11.2f}x")
    ratio = statistics.median(ratios)
    single_ms = statistics.median(t for t, _ in single) * 1000
    pool_ms = statistics.median(t for t, _ in pooled) * 1000
    size_kb = statistics.median(s for _, s in single) / 1024
    tqdm.write(
        f"{locale}: pool/single, median of the rounds: {ratio:.2f}x (rounds {min(ratios):.2f}x to {max(ratios):.2f}x);"
        f" median ms per document {single_ms:.0f} single / {pool_ms:.0f} pool; PDF {size_kb:.1f} KB"
    )
    return ratio >= TARGET


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.documents", description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=60, help="per batch")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of a single batch and a pooled one")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args(argv)
    locales = ("zh_CN", "en")
    print(
        f"{args.documents} decision notices per batch, {args.rounds} rounds of single and pooled batches;"
        f" pool of {args.processes} processes; {os.cpu_count()} cores"
    )
    print(f"{'language':<9}{'round':>6} {'single doc/s':>12} {'pool doc/s':>11} {'pool/single':>12}", flush=True)
    total = len(locales) * 2 * args.rounds * args.documents
    with tqdm(total=total, desc="rendering", unit=" PDFs", disable=None) as bar:
        ok = all([run(locale, args.documents, args.processes, args.rounds, bar) for locale in locales])
    print(f"target: pool at least {TARGET}x a single renderer, median of the rounds -> {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
