"""Temporal orchestration: deterministic workflows and the activities they call.

Activities are written against small ports (``ports.py``); the concrete adapters (database,
PDF renderer, storage) are handed in by ``hub``, the composition root. Nothing here imports ``hub``.
"""
