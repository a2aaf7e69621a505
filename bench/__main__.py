"""``python -m bench``: the same command as ``casefac bench`` (same options, same output, same exit code)."""

from __future__ import annotations

import typer

from starters.commands.bench import bench


def main() -> None:
    from workers.process import run_then_exit

    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode="rich")
    app.command()(bench)
    run_then_exit(app)


if __name__ == "__main__":
    main()
