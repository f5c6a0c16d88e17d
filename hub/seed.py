"""Demo accounts for a first start: a citizen of each kind and clerks of the first departments.

Only seeded when ``QINQING_SEED_DEMO`` is true (the embedded default); a real deployment turns it
off and creates accounts through its identity provider.
"""

from __future__ import annotations

from hub.accounts import hash_password, now
from hub.db.tables import Account

DEMO_PASSWORD = "qinqing-demo"

DEMO_ACCOUNTS = [
    # username, full name, role, department, resident id (valid checksums; synthetic people)
    ("zhangsan", "张三", "citizen", None, "330106194003150011"),
    ("lisi", "李四", "citizen", None, "330106199205200024"),
    ("street.clerk", "王芳", "clerk", "street-office", None),
    ("civil.clerk", "刘洋", "clerk", "civil-affairs", None),
    ("hr.clerk", "陈静", "clerk", "human-resources", None),
]


async def seed_demo() -> list[str]:
    """Create the demo accounts that do not exist yet; returns the usernames created."""
    created = []
    password_hash = hash_password(DEMO_PASSWORD)
    for username, full_name, role, department, resident_id in DEMO_ACCOUNTS:
        if await Account.exists().where(Account.username == username):
            continue
        await Account.insert(
            Account(
                username=username,
                full_name=full_name,
                role=role,
                department=department,
                resident_id=resident_id,
                password_hash=password_hash,
                locale="zh_CN",
                created_at=now(),
            )
        )
        created.append(username)
    return created
