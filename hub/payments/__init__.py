"""Money: program budgets (reservations) and the payment gateway (the embedded ledger).

What other domains may use (their front door): funding a published program's account, and the
benefits' side of the ledger (a benefit's account, paying a cycle's batch, a receivable for money
paid after a death)."""

from hub.payments.ledger import LedgerBenefitGateway, benefit_account, fund_program, post_recovery

__all__ = ["LedgerBenefitGateway", "benefit_account", "fund_program", "post_recovery"]
