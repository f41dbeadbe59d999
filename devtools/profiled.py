"""Run a module under cProfile on a CPU clock, profiling only between two signals.

    python -m devtools.profiled OUT.prof -m MODULE [ARGS...]

SIGUSR1 starts profiling, SIGUSR2 stops it and writes OUT.prof (so start-up and warm-up stay out
of the profile). The clock is the process's CPU time: time spent waiting is not counted.
"""

from __future__ import annotations

import cProfile
import runpy
import signal
import sys
import time
from types import FrameType


def main() -> None:
    """Start the module with the two signal handlers installed."""
    if len(sys.argv) < 4 or sys.argv[2] != "-m":
        raise SystemExit(__doc__)
    out, module = sys.argv[1], sys.argv[3]
    profiler = cProfile.Profile(time.process_time)

    def start(_signum: int, _frame: FrameType | None) -> None:
        profiler.enable()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        profiler.disable()
        profiler.dump_stats(out)

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    sys.argv = [module, *sys.argv[4:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
