"""Comments count their bookmarks, as they count likes and replies."""

from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery


def count(apps, schema_editor):
    Bookmark = apps.get_model("conversation", "Bookmark")
    Comment = apps.get_model("conversation", "Comment")
    saved = (
        Bookmark.objects.filter(comment=OuterRef("pk"))
        .order_by()
        .values("comment")
        .annotate(count=Count("pk"))
        .values("count")
    )
    Comment.objects.filter(pk__in=Bookmark.objects.values("comment")).update(
        bookmark_count=Subquery(saved)
    )


class Migration(migrations.Migration):
    dependencies = [("conversation", "0002_reply_count_leaves_out_hidden_replies")]

    operations = [
        migrations.AddField(
            model_name="comment",
            name="bookmark_count",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(count, migrations.RunPython.noop, elidable=True),
    ]
