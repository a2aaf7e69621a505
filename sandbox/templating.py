"""Jinja2 environment for the sandbox pages (autoescape on, templates in ``sandbox/templates``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

TEMPLATES = Path(__file__).parent / "templates"

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a template into an HTML response."""
    return HTMLResponse(env.get_template(name).render(**context), status_code=status_code)


def message_page(
    title: str, message: str, status_code: int = 200, link: str | None = None, link_text: str = "Continue"
) -> HTMLResponse:
    """A plain notice page (expired link, not your turn, already signed…)."""
    return render("message.html", status_code, title=title, message=message, link=link, link_text=link_text)
