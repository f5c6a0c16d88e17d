"""Benchmarks that run against a real database (see bench/README.md)."""
