"""How many worker processes a command uses by default: one rule for the CLI and the library."""

from __future__ import annotations

import os


def default_workers() -> int:
    """``OSTEOTWIN_WORKERS`` when it is a positive integer, else the CPUs this process may use
    (its affinity mask where the platform has one, e.g. a container's CPU set)."""
    env = os.environ.get("OSTEOTWIN_WORKERS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


__all__ = ["default_workers"]
