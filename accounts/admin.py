from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Accounts, for superusers (and whoever is given accounts.view_user). Moderators have no
    access here: they find people by username in the autocomplete of the forms they fill
    (accounts/autocomplete.py)."""

    def get_search_fields(self, request: HttpRequest) -> tuple[str, ...]:
        # Whoever may not read accounts searches usernames only: a match on an email they
        # cannot see would still tell them the address.
        if self.has_view_permission(request):
            return tuple(super().get_search_fields(request))
        return ("username",)
