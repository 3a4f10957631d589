"""`{{ when|ago }}`: a past moment the way people say it ("just now", "5 min ago",
"yesterday"), rather than timesince's "0 minutes"."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.dateformat import format as format_date

register = template.Library()

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR


@register.filter
def ago(when: datetime | None, now: datetime | None = None) -> str:
    """How long ago `when` was: under a minute is "just now" (so is a moment in the future,
    from a clock a little ahead), then minutes, hours, "yesterday", days, and past a week
    the date itself."""
    if when is None:
        return ""
    now = now or timezone.now()
    seconds = (now - when).total_seconds()
    if seconds < MINUTE:
        return "just now"
    if seconds < HOUR:
        return f"{int(seconds // MINUTE)} min ago"
    if seconds < DAY:
        hours = int(seconds // HOUR)
        return "1 hour ago" if hours == 1 else f"{hours} hours ago"
    if seconds < 2 * DAY:
        return "yesterday"
    if seconds < 7 * DAY:
        return f"{int(seconds // DAY)} days ago"
    local = timezone.localtime(when)
    same_year = local.year == timezone.localtime(now).year
    return format_date(local, "M j" if same_year else "M j, Y")
