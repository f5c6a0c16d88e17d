"""Who may see and do what with programs and claims: an enterprise acts for itself; a program is
overseen by administrators, auditors and the department that owns its service."""

from __future__ import annotations

from forms.catalog import Catalog
from hub.accounts import OVERSIGHT_ROLES, STAFF_ROLES, Principal
from hub.actor import Actor
from hub.db.tables import Program
from hub.errors import forbidden
from hub.i18n import N_


def caller_enterprise(actor: Actor) -> int:
    """The enterprise the caller acts for; forbidden to anyone but an enterprise's own accounts."""
    user = actor.user
    if user is None or user.role != "enterprise" or not user.enterprise:
        raise forbidden(N_("Only an enterprise's own accounts can do this."))
    return user.enterprise


def may_oversee(user: Principal | None, program: Program, catalog: Catalog) -> bool:
    """Administrators, auditors and the staff of the department that owns the program's service."""
    if user is None:
        return False
    if user.role in OVERSIGHT_ROLES:
        return True
    service = catalog.latest(program.service_id)
    return user.role in STAFF_ROLES and service is not None and user.department == service.owner
