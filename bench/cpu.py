"""CPU seconds per process over a phase, from ``/proc/<pid>/stat``: where a lifecycle's time really goes.

On a small machine every process of the stack competes for the same cores, so a slow phase says little
until it is split by process: the dev server (the engine), the casefac worker (workflow code and activities),
the gateway, the sandbox, and the bench's own driver.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass, field

_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of a live process (all its threads), None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            stat = fh.read()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "; comm may contain spaces
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime (fields 14 and 15 of stat)


def machine_busy() -> float | None:
    """CPU seconds all processes of the machine have used since boot (every core; idle and iowait excluded)."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            first = fh.readline().split()
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in first[1:9])
    return (user + nice + system + irq + softirq + steal) / _TICKS


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class CpuMeter:
    """Snapshot at :meth:`start`, difference added at :meth:`stop` (a phase runs in several rounds)."""

    pids: dict[str, int]
    used: dict[str, float] = field(default_factory=dict)
    #: CPU seconds the rest of the machine used meanwhile (other programs competing for the same cores).
    others: float | None = None
    _start: dict[str, float] = field(default_factory=dict)
    _machine: float | None = None

    def _now(self) -> dict[str, float]:
        now = {name: cpu for name, pid in self.pids.items() if (cpu := process_cpu(pid)) is not None}
        now["bench driver"] = own_cpu()
        return now

    def start(self) -> None:
        self._start = self._now()
        self._machine = machine_busy()

    def stop(self) -> None:
        end = self._now()
        machine = machine_busy()
        used = {name: end[name] - self._start[name] for name in end if name in self._start}
        for name, seconds in used.items():
            self.used[name] = self.used.get(name, 0.0) + seconds
        if machine is not None and self._machine is not None:
            self.others = (self.others or 0.0) + max(0.0, machine - self._machine - sum(used.values()))
