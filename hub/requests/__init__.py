"""Service requests: filing, access, the read model as people read it, and what applicants do after
filing (supplements, withdrawal, rating, downloads).

The front door for other domains: ``filing`` (the answers checked and the eligibility judged as a
filing does, for subsidy claims), ``presenter`` (the read model, its labels, the stored answers,
for the workbench), ``access`` (who may see a request), ``once`` (one application per holder) and
``references`` (a new request's reference), which life events use to file their parts, and
``withdrawal``, by which a life event's applicant withdraws its filed parts, ``materials``
(credentials standing in for proofs, checked again when a clerk reads the task), and ``drafts``
(forms saved to finish later), which keeps a life event's one form as it keeps a service's, and
``conditions`` (what a request was checked against, in the reader's language, for the task a
clerk reads), and ``kept_details`` (a request's detail kept in a web process, which a clerk's move
made through it forgets). The rest is this package's own.
"""

__all__ = [
    "access",
    "conditions",
    "drafts",
    "filing",
    "kept_details",
    "materials",
    "once",
    "presenter",
    "references",
    "withdrawal",
]
