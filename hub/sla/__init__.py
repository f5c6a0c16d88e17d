"""Service-level agreements: statutory time limits counted in working days."""
