from django.db import migrations

WORKSPACE_ROLES = ["lead-educator", "educator", "mentor"]


def mark_teachers(apps, schema_editor):
    """Team members who work in a workspace get the header's Teach link (accounts.User.teaches)."""
    User = apps.get_model("accounts", "User")
    CourseTeamMember = apps.get_model("courses", "CourseTeamMember")
    teachers = CourseTeamMember.objects.filter(
        user__isnull=False, role__in=WORKSPACE_ROLES
    ).values("user_id")
    User.objects.filter(pk__in=teachers).update(teaches=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_user_teaches"),
        ("courses", "0005_certificate_keys_outcomes_and_test_counts"),
    ]

    operations = [migrations.RunPython(mark_teachers, migrations.RunPython.noop)]
