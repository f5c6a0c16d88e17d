"""Subsidy programs: matching enterprises to a program, and claims paid exactly once."""
