"""Small helpers shared by the benchmarks: peak RSS and a uniform printout."""

from __future__ import annotations

import resource
import sys


def peak_rss_mib() -> float:
    """Peak resident set size of this process, in MiB (Linux reports KiB)."""
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return usage / 1024 if sys.platform != "darwin" else usage / (1024 * 1024)


def report(title: str, figures: dict[str, object]) -> None:
    print(f"== {title}")
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        shown = (
            f"{value:,.2f}" if isinstance(value, float) else f"{value:,}" if isinstance(value, int) else value
        )
        print(f"  {key.ljust(width)}  {shown}")
