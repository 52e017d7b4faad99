"""Counts each person's unread notifications into accounts' new counter (which the services
keep from now on): one UPDATE with a subquery per row, on the unread index."""

from django.db import migrations
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce


def count_unread(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    Notification = apps.get_model("conversation", "Notification")
    unread = (
        Notification.objects.filter(recipient_id=OuterRef("pk"), read_at__isnull=True)
        .order_by()
        .values("recipient_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    User.objects.update(
        unread_notifications=Coalesce(Subquery(unread, output_field=IntegerField()), 0)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_user_unread_notifications"),
        ("conversation", "0009_automatic_week_open_announcements"),
    ]

    operations = [migrations.RunPython(count_unread, migrations.RunPython.noop)]
