"""``python -m workers``: the worker process, configured from ``CASEFAC_*`` settings."""

from workers.main import main
from workers.process import run_then_exit

if __name__ == "__main__":
    run_then_exit(main)
