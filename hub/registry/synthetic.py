"""A realistic synthetic population of enterprises for the demo and for benchmarks.

Names, people and districts come from Faker's zh_CN locale and Hangzhou's districts; sizes,
ages and ratings follow rough real-world shapes (most firms are small, a few are large). Credit
codes are valid (check digit by python-stdnum) and unique by construction. Deterministic per seed.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any

from faker import Faker
from stdnum.cn import uscc
from tqdm import tqdm  # type: ignore[import-untyped]  # no stubs installed (types-tqdm)

from hub.db.tables import Enterprise
from hub.sealing import seal

DISTRICTS = ["xihu", "shangcheng", "gongshu", "binjiang", "xiaoshan", "yuhang", "linping", "qiantang", "fuyang"]
INDUSTRIES = ["software", "manufacturing", "retail", "wholesale", "catering", "logistics", "biotech", "construction"]
RATINGS = ["A"] * 30 + ["B"] * 40 + ["M"] * 20 + ["C"] * 7 + ["D"] * 3
SUFFIXES = ["科技有限公司", "贸易有限公司", "制造有限公司", "餐饮管理有限公司", "物流有限公司", "生物科技有限公司"]
# Serial numbers of synthetic codes start here, far from the demo's hand-made ones.
FIRST_SERIAL = 10_000_000


def credit_code(serial: int) -> str:
    """A unique, valid unified social credit code for a company registered in Hangzhou."""
    body = f"91330100{serial:09d}"  # 1+1+6 digits: company, enterprise, Hangzhou; then the org code
    return body + uscc.calc_check_digit(body)


def generate(count: int, seed: int = 2026, start: int = 0, today: dt.date | None = None) -> list[dict[str, Any]]:
    """``count`` enterprise records, the ``start``-th onwards of the population for ``seed``."""
    today = today or dt.date(2026, 11, 1)
    fake = Faker("zh_CN")
    fake.seed_instance(seed + start)
    rng = random.Random(seed * 1_000_003 + start)
    records = []
    for n in range(start, start + count):
        employees = max(1, int(rng.lognormvariate(2.3, 1.2)))
        insured = max(0, min(employees, int(employees * rng.uniform(0.6, 1.0))))
        founded = today - dt.timedelta(days=rng.randint(60, 25 * 365))
        labels = []
        if employees < 100:
            labels.append("small-micro")
        if rng.random() < 0.12:
            labels.append("high-tech")
        if (today - founded).days < 3 * 365:
            labels.append("start-up")
        records.append(
            {
                "uscc": credit_code(FIRST_SERIAL + n),
                "name": f"杭州{fake.last_name()}{fake.word()}{rng.choice(SUFFIXES)}",
                "legal_representative": fake.name(),
                "industry": rng.choice(INDUSTRIES),
                "district": rng.choice(DISTRICTS),
                "founded_on": founded,
                "registered_capital": rng.choice([100_000, 500_000, 1_000_000, 3_000_000, 10_000_000]),
                "employees": employees,
                "insured_employees": insured,
                "tax_credit_rating": rng.choice(RATINGS),
                "tax_bracket": "general" if employees >= 50 or rng.random() < 0.2 else "small-scale",
                "status": "abnormal" if rng.random() < 0.04 else "active",
                "labels": labels,
                "bank_account": f"6222{rng.randint(10**11, 10**12 - 1)}",
                "bank_account_status": "open",
            }
        )
    return records


CHUNK = 500


def population(count: int, seed: int = 2026, start: int = 0):
    """The population's records from ``start`` up to ``count``, in the chunks ``populate`` stores them in."""
    for first in range(start, count, CHUNK):
        yield generate(min(CHUNK, count - first), seed=seed, start=first)


async def populate(count: int, seed: int = 2026, progress: bool = False) -> int:
    """Make the synthetic population ``count`` strong (adding only what is missing); returns how many were added.

    With ``progress``, a progress bar with the time left goes to stderr (only when it is a terminal).
    """
    existing = await Enterprise.count().where(Enterprise.uscc.like("91330100%"))
    added = 0
    bar = tqdm(
        total=max(0, count - existing), desc="enterprises", unit=" enterprises", disable=None if progress else True
    )
    for batch in population(count, seed, start=existing):
        rows = [
            Enterprise(
                **{
                    **r,
                    "labels": json.dumps(r["labels"]),
                    # A person's name: sealed at rest like every personal value.
                    "legal_representative": seal(r["legal_representative"], "enterprise.legal_representative"),
                }
            )
            for r in batch
        ]
        await Enterprise.insert(*rows).on_conflict(target=Enterprise.uscc, action="DO NOTHING")
        added += len(batch)
        bar.update(len(batch))
    bar.close()
    return added
