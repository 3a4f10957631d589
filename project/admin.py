"""The admin site: Django's, with the autocomplete of accounts/autocomplete.py."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from accounts.autocomplete import PeopleAutocompleteJsonView


class ParleyAdminSite(admin.AdminSite):
    def autocomplete_view(self, request: HttpRequest) -> HttpResponse:
        return PeopleAutocompleteJsonView.as_view(admin_site=self)(request)
