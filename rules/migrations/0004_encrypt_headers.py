"""Rule custom headers are encrypted at rest (they may carry Authorization); existing rows too."""

import json

from django.db import migrations

import hub.crypto
import rules.validators


def _rewrite(apps, schema_editor, convert) -> None:
    # Raw SQL: the model field of this state would try to decrypt (or encrypt) on its own.
    table = schema_editor.quote_name(apps.get_model("rules", "WebhookRule")._meta.db_table)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT id, headers FROM {table}")  # noqa: S608 - a quoted table name
        rows = cursor.fetchall()
        for pk, stored in rows:
            cursor.execute(
                f"UPDATE {table} SET headers = %s WHERE id = %s",  # noqa: S608
                [convert(stored), pk],
            )


def _encrypted(stored: object) -> str:
    if isinstance(stored, str) and stored.startswith(hub.crypto.PREFIX):
        return stored  # already encrypted (a re-run)
    value = json.loads(stored) if isinstance(stored, str) and stored else stored
    return hub.crypto.EncryptedJSONField().get_prep_value(value or {})


def _plain(stored: object) -> str:
    if not stored:
        return "{}"  # the JSON column refuses ""
    return json.dumps(json.loads(hub.crypto.decrypt(stored)), sort_keys=True)


def encrypt_headers(apps, schema_editor) -> None:
    _rewrite(apps, schema_editor, _encrypted)


def decrypt_headers(apps, schema_editor) -> None:
    _rewrite(apps, schema_editor, _plain)


class Migration(migrations.Migration):
    dependencies = [
        ("rules", "0003_validators"),
    ]

    operations = [
        migrations.AlterField(
            model_name="webhookrule",
            name="headers",
            field=hub.crypto.EncryptedJSONField(
                blank=True,
                default=dict,
                help_text="Extra headers as a JSON object. Values of credential-like names "
                "(Authorization, *token*, *key*, ...) are write-only: shown as ******** "
                "afterwards; leave ******** to keep the stored value.",
                validators=[rules.validators.validate_headers],
            ),
        ),
        migrations.RunPython(encrypt_headers, decrypt_headers),
    ]
