"""Counts each enrolment's certificates into learning's new Enrolment.certificates_held, which
the issuing keeps from now on."""

from django.db import migrations
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce


def count_held(apps, schema_editor):
    Enrolment = apps.get_model("learning", "Enrolment")
    Certificate = apps.get_model("certificates", "Certificate")
    held = (
        Certificate.objects.filter(enrolment_id=OuterRef("pk"))
        .order_by()
        .values("enrolment_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    Enrolment.objects.filter(pk__in=Certificate.objects.values("enrolment_id")).update(
        certificates_held=Coalesce(Subquery(held, output_field=IntegerField()), 0)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0002_certificatetally"),
        ("learning", "0004_enrolment_certificates_held"),
    ]

    operations = [migrations.RunPython(count_held, migrations.RunPython.noop)]
