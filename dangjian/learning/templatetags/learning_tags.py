"""Template filters of learning: lengths and study times for people."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration(seconds: int | float | None) -> str:
    """1830 → "30 min", 4000 → "1 h 7 min", 40 → "1 min" (never "0 min" for a non-zero length)."""
    s = int(seconds or 0)
    if s <= 0:
        return "—"
    minutes = max(1, round(s / 60))
    if minutes < 60:
        return _("%(m)d min") % {"m": minutes}
    return _("%(h)d h %(m)d min") % {"h": minutes // 60, "m": minutes % 60}


@register.filter
def clock(seconds: int | float | None) -> str:
    """Seconds as m:ss or h:mm:ss, for positions in a video."""
    s = int(seconds or 0)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"
