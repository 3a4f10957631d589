"""`manage.py prune_messages`: run retention now, as the Celery beat task does."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chat import retention
from chat.models import Room


class Command(BaseCommand):
    help = "Delete messages older than their room's retention, in small batches."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be deleted; change nothing."
        )
        parser.add_argument("--room", metavar="SLUG", help="Only this room.")

    def handle(self, *args: Any, dry_run: bool, room: str | None, **options: Any) -> None:
        # A progress line only on a terminal: in logs and pipes it would be noise. On a
        # terminal the service's log lines would break into it, and the summary below says
        # the same, so they are held back.
        show_progress = self.stdout.isatty() and not dry_run
        on_batch = self._show_progress if show_progress else None
        quiet = _log_level(retention.logger, logging.WARNING) if show_progress else nullcontext()
        try:
            with quiet:
                result = retention.prune_messages(
                    room_slug=room, dry_run=dry_run, on_batch=on_batch
                )
        except Room.DoesNotExist:
            raise CommandError(f"No room with the slug {room!r}.") from None
        finally:
            if show_progress:
                self.stdout.write("\r\033[K", ending="")

        for slug, count in result.deleted.items():
            self.stdout.write(f"{slug}: {count}")
        verb = "Would delete" if dry_run else "Deleted"
        summary = f"{verb} {result.total} messages from {len(result.deleted)} rooms"
        if not dry_run:
            summary += (
                f" in {result.batches} batches ({result.seconds:.1f} s, "
                f"longest batch {result.longest_batch_seconds * 1000:.0f} ms)"
            )
        self.stdout.write(self.style.SUCCESS(summary + "."))

    def _show_progress(self, done: retention.BatchDone) -> None:
        self.stdout.write(
            f"\r\033[K{done.room_slug}: {done.room_deleted} deleted ({done.run_deleted} in all)",
            ending="",
        )
        self.stdout.flush()


@contextmanager
def _log_level(logger: logging.Logger, level: int) -> Iterator[None]:
    previous = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(previous)
