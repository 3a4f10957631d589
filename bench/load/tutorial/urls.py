"""No HTTP pages: the reference is its socket only."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
