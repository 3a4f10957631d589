"""Celery tasks: thin callers of the chat's services."""

from __future__ import annotations

from celery import shared_task

from chat import metrics, retention


# acks_late with reject_on_worker_lost: a worker killed mid-run puts the task back on the
# queue instead of losing it. Running it again is safe: each batch commits on its own and a
# rerun deletes only what is still there.
@shared_task(acks_late=True, reject_on_worker_lost=True)
def prune_messages(room_slug: str | None = None) -> dict[str, int]:
    """Run retention (Celery beat schedules it). Returns messages deleted per room slug; the
    service logs the same counts, so the task adds no log line of its own."""
    result = retention.prune_messages(room_slug=room_slug)
    metrics.prune_done(result.total)
    return result.deleted
