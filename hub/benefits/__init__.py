"""Benefits: approved allowances as entitlements, paid every month (or once) by payment cycles on
Temporal; the register clerks keep, what beneficiaries see, and the cycles administrators run."""
