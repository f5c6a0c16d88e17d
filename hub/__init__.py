"""Qinqing Hub: adapters (web, database, documents) and the composition root."""
