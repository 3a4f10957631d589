from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; this one needs them now (as
    # 0003_moderators_group does).
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    moderators = Group.objects.filter(name="Moderators").first()
    if moderators is not None:
        moderators.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="chat", codename="view_roommembership"
            )
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    moderators = Group.objects.filter(name="Moderators").first()
    if moderators is not None:
        moderators.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="chat", codename="view_roommembership"
            )
        )


class Migration(migrations.Migration):
    """Moderators see who is in a room (the admin's room members list)."""

    dependencies = [("chat", "0007_rooms_people_live_in")]

    operations = [migrations.RunPython(grant, revoke)]
