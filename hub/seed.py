"""Demo data for a first start: citizens, enterprises with their registry records, and a clerk for
every department in the catalog's demo routes.

Only seeded when ``QINQING_SEED_DEMO`` is true (the embedded default); a real deployment turns it
off, takes accounts from its identity provider and registry data from the departments' systems.
The people and companies are synthetic; identity numbers and credit codes have valid checksums.
"""

from __future__ import annotations

import datetime as dt
import json
import random

from forms.catalog import Catalog
from hub.accounts import hash_password, sealed_name
from hub.clock import now, today
from hub.db.tables import Account, Enterprise, Entitlement
from hub.registry.population import elderly_people, register_residents, resident_key
from hub.registry.synthetic import populate
from hub.sealing import seal, unseal
from hub.subsidies.programs import seed_programs
from workflows.benefits.assess import amount_and_band
from workflows.benefits.types import PersonFacts

DEMO_PASSWORD = "qinqing-demo"

# username, full name, role, department, resident id, enterprise credit code
DEMO_ACCOUNTS: list[tuple[str, str, str, str | None, str | None, str | None]] = [
    ("zhangsan", "张三", "citizen", None, "330106194003150011", None),  # aged 86, local hukou
    ("lisi", "李四", "citizen", None, "330106199205200024", None),  # 34, female
    ("wangwu", "王五", "citizen", None, "420106198507120035", None),  # 41, from Wuhan (non-local)
    ("zhaoliu", "赵六", "citizen", None, "330106195809080029", None),  # 68, female
    ("chenjianguo", "陈建国", "citizen", None, "330106196606180016", None),  # 60, male, retiring this year
    ("yunqi", "周明", "enterprise", None, None, "91330106MA2H3K1X75"),
    ("chashe", "何丽", "enterprise", None, None, "92330106MA2J8L4Q58"),
    ("qihang", "孙伟", "enterprise", None, None, "91330106MA7E2R9P3T"),
    ("jiucheng", "钱涛", "enterprise", None, None, "91330106MA2B6W8N1U"),
    # A clerk of 云栖 who prepares requests; 周明 (yunqi, the legal representative) submits them.
    ("yunqi.preparer", "陈晨", "enterprise", None, None, "91330106MA2H3K1X75"),
    ("street.clerk", "王芳", "clerk", "street-office", None, None),
    ("civil.clerk", "刘洋", "clerk", "civil-affairs", None, None),
    ("hr.clerk", "陈静", "clerk", "human-resources", None, None),
    ("market.clerk", "杨帆", "clerk", "market-regulation", None, None),
    ("finance.clerk", "黄磊", "clerk", "finance", None, None),
    ("police.clerk", "吴刚", "clerk", "public-security", None, None),
    ("tax.clerk", "徐婷", "clerk", "tax", None, None),
    ("health.clerk", "马丽", "clerk", "health", None, None),
    ("science.clerk", "朱峰", "clerk", "science-technology", None, None),
    ("disability.clerk", "胡敏", "clerk", "disabled-federation", None, None),
    ("insurance.clerk", "邓超", "clerk", "healthcare-security", None, None),
    ("fund.clerk", "曹颖", "clerk", "housing-fund", None, None),
    ("urban.clerk", "彭亮", "clerk", "urban-management", None, None),
    ("fire.clerk", "蒋勇", "clerk", "fire-rescue", None, None),
    # A second clerk in every department: approvals of large amounts need one to confirm them.
    ("street.clerk2", "周婷", "clerk", "street-office", None, None),
    ("civil.clerk2", "林峰", "clerk", "civil-affairs", None, None),
    ("hr.clerk2", "郭敏", "clerk", "human-resources", None, None),
    ("market.clerk2", "何军", "clerk", "market-regulation", None, None),
    ("finance.clerk2", "高洁", "clerk", "finance", None, None),
    ("police.clerk2", "罗成", "clerk", "public-security", None, None),
    ("tax.clerk2", "梁艳", "clerk", "tax", None, None),
    ("health.clerk2", "宋佳", "clerk", "health", None, None),
    ("science.clerk2", "唐亮", "clerk", "science-technology", None, None),
    ("disability.clerk2", "韩雪", "clerk", "disabled-federation", None, None),
    ("insurance.clerk2", "谢楠", "clerk", "healthcare-security", None, None),
    ("fund.clerk2", "袁欣", "clerk", "housing-fund", None, None),
    ("urban.clerk2", "于浩", "clerk", "urban-management", None, None),
    ("fire.clerk2", "董梅", "clerk", "fire-rescue", None, None),
    ("street.supervisor", "李强", "supervisor", "street-office", None, None),
    ("civil.supervisor", "孙丽", "supervisor", "civil-affairs", None, None),
    ("auditor", "郑洁", "auditor", None, None, None),
    # A second member of the oversight office: nobody decides an appeal against their own answer.
    ("auditor2", "钱明", "auditor", None, None, None),
    ("admin", "冯军", "admin", None, None, None),
]

DEMO_ENTERPRISES = [
    {
        "uscc": "91330106MA2H3K1X75",
        "bank_account": "6222021202003456789",
        "name": "杭州云栖智算科技有限公司",
        "legal_representative": "周明",
        "industry": "software",
        "district": "xihu",
        "founded_on": dt.date(2019, 5, 20),
        "registered_capital": 5_000_000,
        "employees": 86,
        "insured_employees": 80,
        "tax_credit_rating": "A",
        "status": "active",
        "labels": ["high-tech", "small-micro"],
        "tax_bracket": "general",
    },
    {
        "uscc": "92330106MA2J8L4Q58",
        "bank_account": "6228480321234567890",
        "name": "西湖区龙井茶社",
        "legal_representative": "何丽",
        "industry": "retail",
        "district": "xihu",
        "founded_on": dt.date(2023, 3, 1),
        "registered_capital": 100_000,
        "employees": 6,
        "insured_employees": 5,
        "tax_credit_rating": "B",
        "status": "active",
        "labels": ["small-micro", "individual-business"],
    },
    {
        "uscc": "91330106MA7E2R9P3T",
        "bank_account": "6217001540009876543",
        "name": "杭州启航新材料有限公司",
        "legal_representative": "孙伟",
        "industry": "manufacturing",
        "district": "xihu",
        "founded_on": dt.date(2025, 9, 1),
        "registered_capital": 1_000_000,
        "employees": 3,
        "insured_employees": 2,
        "tax_credit_rating": "M",
        "status": "active",
        "labels": ["start-up", "small-micro"],
    },
    {
        "uscc": "91330106MA2B6W8N1U",
        "bank_account": "6222600810011223344",
        "name": "杭州旧城贸易有限公司",
        "legal_representative": "钱涛",
        "industry": "wholesale",
        "district": "xihu",
        "founded_on": dt.date(2012, 7, 15),
        "registered_capital": 2_000_000,
        "employees": 20,
        "insured_employees": 11,
        "tax_credit_rating": "C",
        "status": "abnormal",
        "labels": [],
    },
]


async def seed_demo(
    catalog: Catalog | None = None, population: int = 0, population_accounts: int = 0, beneficiaries: int = 0
) -> list[str]:
    """Create the demo enterprises, accounts and programs that do not exist yet, a synthetic
    population of ``population`` enterprises, accounts (``ent0001``...) for the first
    ``population_accounts`` of them, the demo citizens in the population registry, and the old-age
    allowance's register of ``beneficiaries``; returns the usernames created."""
    for data in DEMO_ENTERPRISES:
        if not await Enterprise.exists().where(Enterprise.uscc == data["uscc"]):
            sealed = seal(data["legal_representative"], "enterprise.legal_representative")
            await Enterprise.insert(
                Enterprise(**{**data, "labels": json.dumps(data["labels"]), "legal_representative": sealed})
            )
    if population:
        await populate(population)
    if catalog is not None:
        await seed_programs(catalog)
    enterprise_ids = {row["uscc"]: row["id"] for row in await Enterprise.select(Enterprise.id, Enterprise.uscc)}
    created = []
    password_hash = hash_password(DEMO_PASSWORD)
    for username, full_name, role, department, resident_id, uscc in DEMO_ACCOUNTS:
        enterprise_role = None
        if role == "enterprise":
            enterprise_role = "preparer" if username.endswith(".preparer") else "approver"
        if await Account.exists().where(Account.username == username):
            continue
        await Account.insert(
            Account(
                username=username,
                full_name=sealed_name(full_name),
                role=role,
                department=department,
                resident_id=seal(resident_id, "account.resident_id"),
                enterprise_role=enterprise_role,
                enterprise=enterprise_ids.get(uscc) if uscc else None,
                password_hash=password_hash,
                locale="zh_CN",
                created_at=now(),
            )
        )
        created.append(username)
    if population_accounts:
        created += await _population_accounts(population_accounts, password_hash)
    await register_residents(
        [
            {"resident_id": rid, "full_name": name, "hukou_local": rid.startswith("33")}
            for _, name, role, _, rid, _ in DEMO_ACCOUNTS
            if role == "citizen" and rid
        ]
    )
    if catalog is not None and beneficiaries:
        await seed_register(catalog, beneficiaries)
    return created


REGISTER_SERVICE = "elderly-care-allowance"


async def seed_register(catalog: Catalog, count: int) -> int:
    """The old-age allowance's register as carried over from an earlier system: ``count`` synthetic
    residents aged 80 and over, each with an active entitlement at their age band's rate since
    January. About one in a hundred has died since, and one in two hundred moved away, as the
    registry records: the next cycle ends those. Returns how many entitlements were added."""
    spec = catalog.latest(REGISTER_SERVICE)
    if spec is None or spec.benefit is None:
        return 0
    benefit = spec.benefit
    people = elderly_people(count)
    rng = random.Random(7)
    on = today()
    for p in people:
        roll = rng.random()
        if roll < 0.01:
            p["died_on"] = on - dt.timedelta(days=rng.randint(5, 40))
        elif roll < 0.015:
            p["moved_out_on"] = on - dt.timedelta(days=rng.randint(5, 40))
    await register_residents(people)
    stamp = now()
    rows = []
    for n, p in enumerate(people):
        start = "2026-01"
        facts = PersonFacts(born_on=p["born_on"], resident=True)
        cents, band = amount_and_band(benefit.amount, benefit.band or "", {}, facts.as_names(on), on)
        rows.append(
            Entitlement(
                key=f"register:{resident_key(p['resident_id'])}",
                service_id=spec.id,
                service_version=spec.version,
                holder_key=resident_key(p["resident_id"]),
                resident_id=seal(p["resident_id"], "entitlement.resident_id"),
                full_name=seal(p["full_name"], "entitlement.full_name"),
                kind=benefit.kind,
                amount_formula=benefit.amount,
                band_formula=benefit.band or "",
                maximum_cents=int(benefit.maximum * 100),
                inputs=seal(json.dumps({"values": {}, "types": {}}), "entitlement.inputs"),
                amount_cents=cents,
                band=band,
                payment_method="bank",
                payee_account=seal(f"62220202{n:011d}", "entitlement.payee_account"),
                payment_day=benefit.payment_day,
                start_period=start,
                state="active",
                created_at=stamp,
                updated_at=stamp,
            )
        )
    added = 0
    for first_row in range(0, len(rows), 500):
        inserted = (
            await Entitlement.insert(*rows[first_row : first_row + 500])
            .on_conflict(target=Entitlement.key, action="DO NOTHING")
            .returning(Entitlement.id)
        )
        added += len(inserted)
    return added


async def _population_accounts(count: int, password_hash: str) -> list[str]:
    """Sign-in accounts for synthetic enterprises, named ent0001, ent0002... in registry order."""
    rows = (
        await Enterprise.select(Enterprise.id, Enterprise.legal_representative)
        .where(Enterprise.uscc.like("91330100%"))
        .order_by(Enterprise.id)
        .limit(count)
    )
    taken = {r["username"] for r in await Account.select(Account.username).where(Account.username.like("ent%"))}
    # The account is in the legal representative's name, which the registry keeps sealed.
    names = {r["id"]: unseal(r["legal_representative"], "enterprise.legal_representative") for r in rows}
    new = [
        Account(
            username=f"ent{n:04d}",
            full_name=sealed_name(names[row["id"]]),
            role="enterprise",
            enterprise=row["id"],
            password_hash=password_hash,
            locale="zh_CN",
            created_at=now(),
        )
        for n, row in enumerate(rows, start=1)
        if f"ent{n:04d}" not in taken
    ]
    if new:
        await Account.insert(*new)
    return [a.username for a in new]
