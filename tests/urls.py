"""The site's URLs plus one the tests need: a view that fails, so the 500 page can be seen
in a browser the way a person would meet it. Only tests.settings routes here."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from project.urls import handler404
from project.urls import urlpatterns as site_urlpatterns

__all__ = ["handler404", "urlpatterns"]


def fail(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("A failure on purpose, to show the 500 page.")


urlpatterns = [*site_urlpatterns, path("test/server-error/", fail)]
