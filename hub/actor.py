"""Who acts, as the domains see it: the signed-in account, the language answers are given in, and
the address the act came from (for the audit log). Built once at the web edge, for the API and the
pages alike; domain functions take an ``Actor``, never an HTTP request."""

from __future__ import annotations

import msgspec

from hub.accounts import Principal


class Actor(msgspec.Struct, frozen=True):
    user: Principal | None
    locale: str
    # The client's address, as the audit log records it ("" when unknown, as for the worker).
    address: str = ""

    @property
    def id(self) -> int | None:
        return self.user.id if self.user else None

    @property
    def role(self) -> str | None:
        return self.user.role if self.user else None

    @property
    def department(self) -> str | None:
        return self.user.department if self.user else None


def system_actor(locale: str = "zh_CN") -> Actor:
    """The hub itself (the worker, a scheduled job): no account, no address."""
    return Actor(user=None, locale=locale)
