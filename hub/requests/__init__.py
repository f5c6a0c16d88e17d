"""Service requests: filing, access, the read model as people read it, and what applicants do after
filing (supplements, withdrawal, rating, downloads).

The front door for other domains: ``filing`` (the answers checked and the eligibility judged as a
filing does, for subsidy claims), ``presenter`` (the read model, its labels, the stored answers,
for the workbench) and ``access`` (who may see a request). The rest is this package's own.
"""

__all__ = ["access", "filing", "presenter"]
