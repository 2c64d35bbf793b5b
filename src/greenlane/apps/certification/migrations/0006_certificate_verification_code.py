"""Every certificate gets a verification code; those issued before get one each here.

AddField evaluates the callable default once for all existing rows, so the data step gives each
existing certificate its own code (the same on SQLite and PostgreSQL). Decision record 0015.
"""

from django.db import migrations, models

import greenlane.apps.certification.codes


def give_each_certificate_a_code(apps, schema_editor):
    certificate = apps.get_model("certification", "Certificate")
    for pk in certificate.objects.values_list("pk", flat=True).iterator():
        certificate.objects.filter(pk=pk).update(
            verification_code=greenlane.apps.certification.codes.new_verification_code()
        )


class Migration(migrations.Migration):
    dependencies = [
        ("certification", "0005_application_kind_application_replaces_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name="certificate",
            name="verification_code",
            field=models.CharField(
                default=greenlane.apps.certification.codes.new_verification_code,
                editable=False,
                help_text="printed on the certificate; a public check needs it with the number",
                max_length=16,
            ),
        ),
        migrations.RunPython(give_each_certificate_a_code, migrations.RunPython.noop),
    ]
