from django.contrib.admin.apps import AdminConfig


class ParleyAdminConfig(AdminConfig):
    """django.contrib.admin, serving project.admin.ParleyAdminSite as `admin.site`."""

    default_site = "project.admin.ParleyAdminSite"
