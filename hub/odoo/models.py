"""The Odoo connector's tables: connections, the hooks polled on them, record snapshots.

Defined here, in the connector's home, and re-exported by hub/models.py: the app label stays
``hub`` (the module lives inside the hub package), so the tables and migrations are unchanged.
"""

from __future__ import annotations

from django.db import models

from hub.crypto import EncryptedTextField

STANDARD_EVENTS = ("create", "write", "unlink")


class OdooConnection(models.Model):
    name = models.CharField(max_length=100, unique=True)
    url = models.URLField(max_length=500, help_text="Base URL of the Odoo server.")
    database = models.CharField(max_length=200)
    username = models.CharField(max_length=200, help_text="Odoo login.")
    password = EncryptedTextField(blank=True)
    api_key = EncryptedTextField(blank=True, help_text="Used instead of the password when set.")
    # Only a hash is stored: the token is shown once, when it is generated.
    push_token_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    poll_interval = models.PositiveIntegerField(default=60, help_text="Seconds between polls.")
    timeout = models.PositiveIntegerField(default=30, help_text="Seconds per call to Odoo.")
    protocol = models.CharField(
        max_length=10,
        choices=[
            ("auto", "Automatic (JSON-2 for Odoo 19+ with an API key, else XML-RPC)"),
            ("xmlrpc", "XML-RPC"),
            ("json2", "JSON-2 (Odoo 19+, API key only)"),
        ],
        default="auto",
        help_text="How the hub talks to Odoo.",
    )
    active = models.BooleanField(default=True)
    version = models.CharField(max_length=50, blank=True, editable=False)
    transport = models.CharField(
        max_length=10, blank=True, editable=False, help_text="The protocol in use (detected)."
    )
    uid = models.IntegerField(null=True, blank=True, editable=False)
    last_poll_at = models.DateTimeField(null=True, blank=True, editable=False)
    next_poll_at = models.DateTimeField(null=True, blank=True, editable=False)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    last_error = models.TextField(blank=True, editable=False)
    last_error_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def credential(self) -> str:
        return self.api_key or self.password


class EchoSuppression(models.TextChoices):
    EXACT = "exact", "Exact: only the hub's own writes (recorded when it writes)"
    SAME_USER = "same_user", "Every change by the connection's Odoo user (write_uid)"
    OFF = "off", "Off: emit every change"


class ModelHook(models.Model):
    """`ir.model.hook`: one Odoo model watched on one connection."""

    connection = models.ForeignKey(OdooConnection, on_delete=models.CASCADE, related_name="hooks")
    model = models.CharField(max_length=128, help_text="Odoo model, e.g. sale.order")
    events = models.JSONField(default=list, help_text='Codes watched: "create", "write", "unlink".')
    domain = models.TextField(blank=True, help_text="Odoo domain, e.g. [('state','=','sale')]")
    tracked_fields = models.JSONField(default=list, blank=True)
    echo_suppression = models.CharField(
        max_length=10,
        choices=EchoSuppression.choices,
        default=EchoSuppression.EXACT,
        help_text=(
            "Which changes are not emitted: exactly the hub's own writes (default), every "
            "change by the connection's Odoo user, or none."
        ),
    )
    active = models.BooleanField(default=True)
    cursor = models.DateTimeField(null=True, blank=True, editable=False)
    baseline_done = models.BooleanField(default=False, editable=False)
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_poll_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_reconcile_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_result = models.CharField(max_length=255, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["connection__name", "model"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "model"], name="hook_unique_model")
        ]

    def __str__(self) -> str:
        return f"{self.connection} / {self.model}"


class RecordSnapshot(models.Model):
    """Last known values of a polled record: decides create vs write and the before/after diff."""

    hook = models.ForeignKey(ModelHook, on_delete=models.CASCADE, related_name="snapshots")
    record_id = models.BigIntegerField()
    write_date = models.CharField(max_length=32, blank=True)
    values = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hook", "record_id"], name="snapshot_unique_record")
        ]

    def __str__(self) -> str:
        return f"{self.hook} #{self.record_id}"


class OdooEcho(models.Model):
    """One write the hub made to Odoo: the poller drops exactly this observation (no echo).

    ``write_date`` is empty while the write is in flight (pending) and ``record_id`` is null
    while a create has not answered yet; ``values`` are the written fields as read back."""

    connection = models.ForeignKey(OdooConnection, on_delete=models.CASCADE, related_name="+")
    model = models.CharField(max_length=128)
    record_id = models.BigIntegerField(null=True, blank=True)
    values = models.JSONField(default=dict, blank=True)
    write_date = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    suppressed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["connection", "model", "record_id"], name="echo_record"),
        ]

    def __str__(self) -> str:
        return f"{self.model} #{self.record_id} @ {self.write_date or 'pending'}"
