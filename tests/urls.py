"""The site's URLs plus one the tests need: a view that fails, so the 500 page can be seen
in a browser the way a person would meet it. Only tests.settings routes here."""

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.signals import request_started
from django.http import HttpRequest, HttpResponse
from django.urls import path

from project.urls import handler404
from project.urls import urlpatterns as site_urlpatterns

__all__ = ["handler404", "urlpatterns"]


def fail(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("A failure on purpose, to show the 500 page.")


urlpatterns = [*site_urlpatterns, path("test/server-error/", fail)]


def _forget_content_types(**kwargs: Any) -> None:
    """The browser tests' server outlives the database flush between tests, and the flush
    makes the content types again under new ids: a server that kept the old ones cached
    would fail to write the admin's LogEntry rows (moderation) in every test after the
    first that moderated the same model."""
    ContentType.objects.clear_cache()


request_started.connect(_forget_content_types, dispatch_uid="tests.forget_content_types")
