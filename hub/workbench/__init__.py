"""The workbench: a department's inbox and the moves its clerks and supervisors make on tasks.

No HTTP here: functions take an ``Actor`` and raise ``hub.errors``; the web edge (``hub/web/api/
tasks.py``, ``hub/web/pages/workbench.py``) parses, calls these, and answers.

- ``access``: which task a caller may see (their department's; another's is not found)
- ``inbox``: the inbox query, its counts, one task's detail
- ``presenter``: the shapes a task is read in
- ``moves``: claim, release, decide, confirm, information request, transfer, assign
- ``policy``: maker-checker (when an approval needs a second clerk)
- ``reveal``: personal data in clear, with a recorded reason
- ``attachments``: which attached file a clerk may open
- ``delegation``: while a clerk is away, who receives their new work
"""

# Other domains may use who receives a clerk's work while they are away; the rest is the workbench's.
__all__ = ["delegation"]
