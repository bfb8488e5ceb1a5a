"""Echo suppression: ModelHook.echo_suppression replaces ignore_own_writes; OdooEcho records
the hub's own writes.

Existing hooks: ignore_own_writes=True (the old default, rarely a deliberate choice) becomes
"exact" - the hub's own writes are still dropped, but changes people make in Odoo as the
connection's user are now emitted (the reason for the change); False becomes "off". A hook
that needs the old per-user behaviour is switched to "same_user" explicitly.
"""

import django.db.models.deletion
from django.db import migrations, models


def forwards(apps, schema_editor):
    hooks = apps.get_model("hub", "ModelHook")
    hooks.objects.filter(ignore_own_writes=False).update(echo_suppression="off")


def backwards(apps, schema_editor):
    hooks = apps.get_model("hub", "ModelHook")
    hooks.objects.filter(echo_suppression="off").update(ignore_own_writes=False)


class Migration(migrations.Migration):
    dependencies = [
        ("hub", "0002_odoo_protocol"),
    ]

    operations = [
        migrations.AddField(
            model_name="modelhook",
            name="echo_suppression",
            field=models.CharField(
                choices=[
                    ("exact", "Exact: only the hub's own writes (recorded when it writes)"),
                    ("same_user", "Every change by the connection's Odoo user (write_uid)"),
                    ("off", "Off: emit every change"),
                ],
                default="exact",
                help_text="Which changes are not emitted: exactly the hub's own writes (default), every change by the connection's Odoo user, or none.",
                max_length=10,
            ),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(
            model_name="modelhook",
            name="ignore_own_writes",
        ),
        migrations.CreateModel(
            name="OdooEcho",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("model", models.CharField(max_length=128)),
                ("record_id", models.BigIntegerField(blank=True, null=True)),
                ("values", models.JSONField(blank=True, default=dict)),
                ("write_date", models.CharField(blank=True, max_length=32)),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("suppressed_at", models.DateTimeField(blank=True, null=True)),
                (
                    "connection",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="hub.odooconnection",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["connection", "model", "record_id"], name="echo_record")
                ],
            },
        ),
    ]
