"""CPU time spent by processes and their children, read from /proc (Linux), to say where a run's
time went: ``snapshot`` before and after, then ``spent``."""

from __future__ import annotations

import os
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stats() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, CPU seconds of the process itself) for every live process."""
    out: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: the fields follow the last ")".
        fields = text[text.rindex(")") + 2 :].split()
        out[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK)
    return out


def machine_busy() -> float:
    """CPU seconds the whole machine has spent on anything but idling and waiting for disks."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / TICK  # user..steal, less idle and iowait


def children(pid: int) -> list[int]:
    return [child for child, (ppid, _) in _stats().items() if ppid == pid]


def snapshot(roots: dict[str, int | list[int]]) -> dict[str, float]:
    """CPU seconds of each named process (or group of them) together with its live descendants,
    less the descendants that are named themselves."""
    stats = _stats()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)

    groups = {name: pids if isinstance(pids, list) else [pids] for name, pids in roots.items()}
    named = {pid for pids in groups.values() for pid in pids}

    def tree(pid: int) -> float:
        own = stats.get(pid, (0, 0.0))[1]
        return own + sum(tree(child) for child in children.get(pid, []) if child not in named)

    return {name: sum(tree(pid) for pid in pids) for name, pids in groups.items()}


def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: after[name] - before.get(name, 0.0) for name in after}
