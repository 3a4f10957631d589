from django.conf import settings
from django.http import HttpRequest


def contact(request: HttpRequest) -> dict[str, str]:
    """CONTACT_EMAIL for the pages that send people to a person (password reset)."""
    return {"contact_email": settings.CONTACT_EMAIL}
