"""Money: program budgets (reservations) and the payment gateway (the embedded ledger)."""
