"""reply_count now counts only the replies learners see: recount threads with hidden replies."""

from django.db import migrations
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce


def recount(apps, schema_editor):
    Comment = apps.get_model("conversation", "Comment")
    hidden_replies = Comment.objects.filter(parent__isnull=False, hidden_at__isnull=False)
    shown = (
        Comment.objects.filter(
            parent=OuterRef("pk"), deleted_at__isnull=True, hidden_at__isnull=True
        )
        .order_by()
        .values("parent")
        .annotate(count=Count("pk"))
        .values("count")
    )
    Comment.objects.filter(pk__in=hidden_replies.values("parent")).update(
        reply_count=Coalesce(Subquery(shown), 0)
    )


class Migration(migrations.Migration):
    dependencies = [("conversation", "0001_initial")]

    operations = [migrations.RunPython(recount, migrations.RunPython.noop, elidable=True)]
