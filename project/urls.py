from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("", include("chat.urls")),
]

# JSON 404s under /api/ (docs/protocol.md), the usual page elsewhere.
handler404 = "chat.views.not_found"
