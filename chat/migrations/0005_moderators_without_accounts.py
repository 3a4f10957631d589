"""Least privilege: moderators no longer read accounts (emails, names, dates). They pick whom
to ban or mute by username, through the admin's autocomplete (accounts/autocomplete.py)."""

from django.db import migrations

ACCOUNT_PERMISSIONS = {"view_user"}


def drop_account_access(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    moderators = Group.objects.filter(name="Moderators").first()
    if moderators is not None:
        moderators.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="accounts", codename__in=ACCOUNT_PERMISSIONS
            )
        )


def restore_account_access(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    moderators = Group.objects.filter(name="Moderators").first()
    if moderators is not None:
        moderators.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="accounts", codename__in=ACCOUNT_PERMISSIONS
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0004_message_count_and_admin_indexes"),
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(drop_account_access, restore_account_access)]
