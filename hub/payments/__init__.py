"""Money: program budgets (reservations) and the payment gateway (the embedded ledger).

What other domains may use (their front door): funding a published program's account."""

from hub.payments.ledger import fund_program

__all__ = ["fund_program"]
