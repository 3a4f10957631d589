"""The admin's autocomplete, with one exception to its permission rule: choosing a person.

Django's autocomplete answers only those who may view the related model's admin, so picking
whom to ban would need `accounts.view_user`, which opens every account's email and details.
Here, anyone the admin lets add or change rows of the model holding the field (a moderator,
for the user of a ban or mute) may look people up through it, and gets what the field shows
anyway: ids and usernames, found by username only (accounts.admin.UserAdmin).
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.auth import get_user_model
from django.http import HttpRequest


class PeopleAutocompleteJsonView(AutocompleteJsonView):
    def has_perm(self, request: HttpRequest, obj: Any = None) -> bool:
        if super().has_perm(request, obj):
            return True
        return self.model_admin.model is get_user_model() and self.may_fill_source(request)

    def may_fill_source(self, request: HttpRequest) -> bool:
        """Whether the source field's admin lets the user add or change its rows."""
        try:
            source_admin = self.admin_site.get_model_admin(self.source_field.model)
        except NotRegistered:
            return False
        return source_admin.has_add_permission(request) or source_admin.has_change_permission(
            request
        )
