"""The performance benchmark (issue 7): ``casefac bench`` / ``python -m bench``.

N full case lifecycles against a private stack (dev server, sandbox, gateway, the real worker) and, in the
same run on the same server, N lifecycles of a bare baseline workflow with the same numbers of activities,
signals and updates; then throughput, update latency, history length, worker memory, replay time, failures
and the case/baseline ratio, with the issue's targets as PASS/FAIL lines. Start at :mod:`bench.run`.
"""
