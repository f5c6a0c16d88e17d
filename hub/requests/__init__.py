"""Service requests: filing, access, the read model as people read it, and what applicants do after filing."""
