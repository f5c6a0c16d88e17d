"""Benefits: approved allowances as entitlements, paid every month (or once) by payment cycles on
Temporal; the register clerks keep, what beneficiaries see, and the cycles administrators run.

The front door for other domains: ``RIGHTS``, where a decision on a benefit can be challenged and
within how long (the decision notice states it); ``PAYMENT_METHODS``, how an entitlement is paid, in
words."""

from hub.benefits.views import PAYMENT_METHODS, RIGHTS

__all__ = ["PAYMENT_METHODS", "RIGHTS"]
