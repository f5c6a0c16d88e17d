"""An enterprise's own view of subsidies over HTTP: policies for you, its claims, its messages."""

from __future__ import annotations

from litestar import Controller, Request

from hub.subsidies import enterprise
from hub.subsidies.presenter import ClaimRead, NotificationRead, PoliciesForYou
from hub.web.actors import actor_of
from hub.web.routes import get
from hub.web.security import requires_role


class EnterpriseController(Controller):
    path = "/api/enterprise"
    tags = ["subsidies"]

    @get("/programs", guards=[requires_role("enterprise")], summary="Policies for you")
    async def policies_for_you(self, request: Request) -> PoliciesForYou:
        """Every open program, evaluated against the enterprise's registry data as it is now."""
        return await enterprise.policies_for(actor_of(request))

    @get("/claims", guards=[requires_role("enterprise")], summary="The enterprise's claims and payments")
    async def my_claims(self, request: Request) -> list[ClaimRead]:
        return await enterprise.enterprise_claims(actor_of(request))

    @get("/notifications", guards=[requires_role("enterprise")], summary="Messages for the enterprise")
    async def notifications(self, request: Request) -> list[NotificationRead]:
        return await enterprise.notifications(actor_of(request))
