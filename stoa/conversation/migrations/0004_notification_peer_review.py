"""Notifications of reviews of one's peer-review work, which point at a step, not a comment."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('conversation', '0003_comment_bookmark_count'),
        ('courses', '0004_step_questions_changed_at'),
    ]

    operations = [
        migrations.AddField(
            model_name='notification',
            name='step',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='courses.step'),
        ),
        migrations.AlterField(
            model_name='notification',
            name='kind',
            field=models.CharField(choices=[('reply', 'Reply to your comment'), ('like', 'Like on your comment'), ('followed', 'New comment by someone you follow'), ('moderation', 'Moderation decision on your comment'), ('peer-review', 'Review of your work')], max_length=12),
        ),
    ]
