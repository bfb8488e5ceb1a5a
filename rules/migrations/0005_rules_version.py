"""The rule tables' version token (rules.ruleset): a row, and the triggers that change it.

Triggers, not Django signals: a queryset ``update()`` (a rule deactivated after a 410), a
``bulk_create`` of payload fields, raw SQL and other processes change the token too, in the same
transaction as the change (a rolled-back change leaves the old token). PostgreSQL fires once per
statement (TRUNCATE included), SQLite once per row. Other databases get no triggers and no
cache (rules.ruleset reads no token there).
"""

from django.db import migrations, models

NEW_TOKEN = {"postgresql": "gen_random_uuid()::text", "sqlite": "lower(hex(randomblob(16)))"}
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION rules_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {version} (id, token) VALUES (1, {token})
    ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token;
    RETURN NULL;
END $$
"""
PG_TRIGGER = (
    "CREATE TRIGGER rules_version_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
    "FOR EACH STATEMENT EXECUTE FUNCTION rules_version_bump()"
)
SQLITE_TRIGGER = (
    "CREATE TRIGGER {name} AFTER {op} ON {table} BEGIN "
    "INSERT OR REPLACE INTO {version} (id, token) VALUES (1, {token}); END"
)
OPS = ("INSERT", "UPDATE", "DELETE")


def _tables(apps) -> list[str]:
    rule = apps.get_model("rules", "WebhookRule")
    return [
        rule._meta.db_table,
        rule._meta.get_field("events").remote_field.through._meta.db_table,
        apps.get_model("rules", "WebhookEvent")._meta.db_table,
        apps.get_model("rules", "PayloadField")._meta.db_table,
    ]


def create_triggers(apps, schema_editor) -> None:
    vendor, quote = schema_editor.connection.vendor, schema_editor.quote_name
    version = quote(apps.get_model("rules", "RulesVersion")._meta.db_table)
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION.format(version=version, token=NEW_TOKEN[vendor]))
        for table in _tables(apps):
            schema_editor.execute(PG_TRIGGER.format(table=quote(table)))
    elif vendor == "sqlite":
        for table in _tables(apps):
            for op in OPS:
                name = quote(f"{table}_version_{op.lower()}")
                schema_editor.execute(
                    SQLITE_TRIGGER.format(
                        name=name,
                        op=op,
                        table=quote(table),
                        version=version,
                        token=NEW_TOKEN[vendor],
                    )
                )
    else:
        return
    schema_editor.execute(f"INSERT INTO {version} (id, token) VALUES (1, {NEW_TOKEN[vendor]})")  # noqa: S608


def drop_triggers(apps, schema_editor) -> None:
    vendor, quote = schema_editor.connection.vendor, schema_editor.quote_name
    if vendor == "postgresql":
        for table in _tables(apps):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS rules_version_bump ON {quote(table)}")
        schema_editor.execute("DROP FUNCTION IF EXISTS rules_version_bump()")
    elif vendor == "sqlite":
        for table in _tables(apps):
            for op in OPS:
                schema_editor.execute(
                    f"DROP TRIGGER IF EXISTS {quote(f'{table}_version_{op.lower()}')}"
                )


class Migration(migrations.Migration):
    dependencies = [
        ("rules", "0004_encrypt_headers"),
    ]

    operations = [
        migrations.CreateModel(
            name="RulesVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("token", models.CharField(max_length=36)),
            ],
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
