from django.db import migrations, models


class Migration(migrations.Migration):
    """Marks the team members that came from course packages. Until now a re-import deleted
    any member the package did not list, so existing rows are the package's: True. New rows
    default to False, as members added on the site (`stoa team add`, the admin) are not."""

    dependencies = [
        ("courses", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="courseteammember",
            name="from_package",
            field=models.BooleanField(default=True, editable=False),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="courseteammember",
            name="from_package",
            field=models.BooleanField(
                default=False,
                editable=False,
                help_text="Listed in the course package: a re-import updates or removes it.",
            ),
        ),
    ]
