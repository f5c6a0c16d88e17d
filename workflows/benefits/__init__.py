"""Benefits: approved allowances paid as entitlements, every month or once, by payment cycles."""
