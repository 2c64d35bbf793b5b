"""Links to addresses that someone typed in: rendered only when they are http(s)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import template

register = template.Library()


@register.filter
def web_link(url: object) -> str:
    """``url`` when it is an http or https address, else "" (so the template shows the text
    without a link): a stored ``javascript:`` address would run script when followed. The
    services refuse such addresses already; this guards rows saved before they did."""
    text = str(url or "").strip()
    try:
        scheme = urlsplit(text).scheme.lower()
    except ValueError:
        return ""
    return text if scheme in ("http", "https") else ""
