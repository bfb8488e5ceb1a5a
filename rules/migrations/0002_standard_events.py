"""The three standard events exist after migrate."""
from django.db import migrations

STANDARD = [
    ("create", "Record created", "A record was created."),
    ("write", "Record updated", "A record was updated."),
    ("unlink", "Record deleted", "A record was deleted."),
]


def create_standard_events(apps, schema_editor):
    WebhookEvent = apps.get_model("rules", "WebhookEvent")
    for code, name, description in STANDARD:
        WebhookEvent.objects.update_or_create(
            code=code,
            defaults={"name": name, "description": description, "is_standard": True, "active": True},
        )


class Migration(migrations.Migration):
    dependencies = [("rules", "0001_initial")]
    operations = [migrations.RunPython(create_standard_events, migrations.RunPython.noop)]
