"""Service-level agreements: statutory time limits counted in working days.

The front door: ``time_limits`` (planning a time limit on the working-day calendar).
"""

__all__ = ["time_limits"]
