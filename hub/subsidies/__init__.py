"""Subsidy programs, claims and matching: the hub's side of the subsidy workflows."""
