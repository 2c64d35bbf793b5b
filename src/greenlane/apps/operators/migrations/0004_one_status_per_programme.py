"""Existing statuses: each one issued with a certificate here is linked to it, and an
operator's statuses under one programme no longer overlap (the older one ends the day before
the newer one starts), as ``supersede`` now keeps them."""

from datetime import timedelta

from django.db import migrations


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    status = apps.get_model("operators", "AeoAuthorisation")
    certificate = apps.get_model("certification", "Certificate")
    for c in certificate.objects.all().iterator():
        status.objects.filter(
            operator_id=c.operator_id, programme=c.programme, tier=c.tier,
            valid_from=c.valid_from, certificate__isnull=True,
        ).update(certificate_id=c.pk)  # fmt: skip
    previous = None
    for item in status.objects.order_by("operator_id", "programme", "valid_from", "id").iterator():
        same = previous is not None and (previous.operator_id, previous.programme) == (
            item.operator_id,
            item.programme,
        )
        if same and (previous.valid_to is None or previous.valid_to >= item.valid_from):
            previous.valid_to = item.valid_from - timedelta(days=1)
            previous.save(update_fields=["valid_to"])
        previous = item


class Migration(migrations.Migration):
    dependencies = [("operators", "0003_status_certificate")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
