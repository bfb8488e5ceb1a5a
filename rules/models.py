"""Event catalogue, webhook rules and their payload fields."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models

from hub.crypto import (
    EncryptedJSONField,
    EncryptedTextField,
    generate_signing_secret,
    split_secrets,
)
from rules.domain import validate_domain
from rules.validators import (
    validate_event_code,
    validate_field_names,
    validate_header_name,
    validate_headers,
    validate_odoo_model,
    validate_secrets,
    validate_source_path,
    validate_target_url,
)


class WebhookEvent(models.Model):
    code = models.CharField(
        max_length=128,
        unique=True,
        validators=[validate_event_code],
        help_text="create, write, unlink or a custom code such as sale.order.confirmed.",
    )
    name = models.CharField(max_length=200)
    model = models.CharField(
        max_length=128, blank=True, validators=[validate_odoo_model], help_text="Blank = any model."
    )
    description = models.TextField(blank=True)
    is_standard = models.BooleanField(default=False, editable=False)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-is_standard", "code"]

    def __str__(self) -> str:
        return self.code


class HttpMethod(models.TextChoices):
    GET = "GET"
    POST = "POST"
    PUT = "PUT"
    PATCH = "PATCH"
    DELETE = "DELETE"


class AuthType(models.TextChoices):
    NONE = "none", "None"
    BASIC = "basic", "Basic"
    BEARER = "bearer", "Bearer token"
    API_KEY = "api_key", "API key header"


class DispatchMode(models.TextChoices):
    ASYNC = "async", "Asynchronous (queue)"
    SYNC = "sync", "Synchronous (inline)"


# Old migrations import these validators from here.
validate_string_list = validate_field_names


class WebhookRule(models.Model):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    model = models.CharField(
        max_length=128, validators=[validate_odoo_model], help_text="Odoo model, e.g. sale.order"
    )
    events = models.ManyToManyField(WebhookEvent, related_name="rules")
    connection = models.ForeignKey(
        "hub.OdooConnection",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rules",
        help_text="Only events from this Odoo connection (blank = any source).",
    )
    url = models.CharField(max_length=2048, validators=[validate_target_url])
    http_method = models.CharField(max_length=6, choices=HttpMethod, default=HttpMethod.POST)
    auth_type = models.CharField(max_length=10, choices=AuthType, default=AuthType.NONE)
    auth_username = models.CharField(max_length=200, blank=True)
    auth_password = EncryptedTextField(blank=True)
    auth_token = EncryptedTextField(blank=True)
    api_key_header = models.CharField(
        max_length=100, default="X-API-Key", blank=True, validators=[validate_header_name]
    )
    api_key = EncryptedTextField(blank=True)
    headers = EncryptedJSONField(
        default=dict,
        blank=True,
        validators=[validate_headers],
        help_text="Extra headers as a JSON object. Values of credential-like names "
        "(Authorization, *token*, *key*, ...) are write-only: shown as ******** afterwards; "
        "leave ******** to keep the stored value.",
    )
    secret = EncryptedTextField(
        default=generate_signing_secret,
        validators=[validate_secrets],
        help_text="Signing secret(s), whsec_...; several (one per line) while rotating.",
    )
    condition = models.TextField(
        blank=True,
        validators=[validate_domain],
        help_text="Odoo domain, e.g. [('state','=','sale'),('amount_total','>',1000)]",
    )
    trigger_fields = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_field_names],
        help_text="Fire a write only when one of these fields changed.",
    )
    include_changes = models.BooleanField(default=True)
    active = models.BooleanField(default=True)
    test_mode = models.BooleanField(default=False, help_text="Build, sign and log; do not send.")
    dispatch_mode = models.CharField(max_length=5, choices=DispatchMode, default=DispatchMode.ASYNC)
    timeout = models.PositiveIntegerField(
        default=15, validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    max_retries = models.PositiveIntegerField(
        default=10, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    retry_initial_delay = models.PositiveIntegerField(
        default=60, validators=[MinValueValidator(1)], help_text="Seconds."
    )
    retry_multiplier = models.FloatField(
        default=2.0, validators=[MinValueValidator(1.0), MaxValueValidator(10.0)]
    )
    retry_max_interval = models.PositiveIntegerField(
        default=86400, validators=[MinValueValidator(1)], help_text="Seconds."
    )
    ordered = models.BooleanField(default=False, help_text="FIFO per record.")
    deactivated_reason = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["model", "active"], name="rule_model_active")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Reactivating a rule (after a 410, say) clears the reason it was switched off.
        if self.active and self.deactivated_reason:
            self.deactivated_reason = ""
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "deactivated_reason"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.auth_type == AuthType.BASIC:
            if not self.auth_username:
                errors["auth_username"] = "Basic authentication needs a user name."
            if not self.auth_password:
                errors["auth_password"] = "Basic authentication needs a password."
        elif self.auth_type == AuthType.BEARER and not self.auth_token:
            errors["auth_token"] = "Bearer authentication needs a token."
        elif self.auth_type == AuthType.API_KEY:
            if not self.api_key_header:
                errors["api_key_header"] = "API key authentication needs a header name."
            if not self.api_key:
                errors["api_key"] = "API key authentication needs a key."
        if errors:
            raise ValidationError(errors)

    @cached_property
    def listened(self) -> frozenset[tuple[str, str]]:
        """(code, model) of the rule's events as loaded - rules.matching prefetches the active
        ones - read once per instance: matching a page of events asks it for every event."""
        return frozenset((e.code, e.model) for e in self.events.all())

    @property
    def secrets(self) -> list[str]:
        return split_secrets(self.secret)


class FieldType(models.TextChoices):
    AUTO = "auto", "Auto"
    CHAR = "char", "Text"
    INTEGER = "integer", "Integer"
    FLOAT = "float", "Float"
    BOOLEAN = "boolean", "Boolean"
    DATE = "date", "Date"
    DATETIME = "datetime", "Datetime"
    MANY2ONE = "many2one", "Many2one"
    X2MANY = "x2many", "One2many / Many2many"
    COMPUTED = "computed", "Computed (template)"


class Transform(models.TextChoices):
    NONE = "", "None"
    UPPER = "upper"
    LOWER = "lower"
    STRIP = "strip"
    TRUNCATE = "truncate", "Truncate (n)"
    ROUND = "round", "Round (n)"
    INT = "int"
    FLOAT = "float"
    STR = "str"
    BOOL = "bool"
    DATE_FORMAT = "date_format", "Date/datetime format (strftime)"
    ISO_DATETIME = "iso_datetime", "ISO 8601 datetime"
    VALUE_MAP = "value_map", "Value map (JSON object)"
    M2O_ID = "m2o_id", "Many2one id"
    M2O_NAME = "m2o_name", "Many2one name"
    JOIN = "join", "Join list (separator)"
    TEMPLATE = "template", "Template ({field} placeholders)"
    HOOK = "hook", "Custom hook (dotted path)"


class PayloadField(models.Model):
    rule = models.ForeignKey(WebhookRule, on_delete=models.CASCADE, related_name="payload_fields")
    source_path = models.CharField(
        max_length=255,
        blank=True,
        validators=[validate_source_path],
        help_text="Dotted path: email, partner_id.country_id.code",
    )
    field_type = models.CharField(max_length=10, choices=FieldType, default=FieldType.AUTO)
    payload_key = models.CharField(max_length=255, blank=True, help_text="Key in data (rename).")
    include = models.BooleanField(default=True)
    transform = models.CharField(max_length=20, choices=Transform, default="", blank=True)
    transform_arg = models.TextField(blank=True)
    default_value = models.TextField(blank=True, help_text="Used when the value is empty.")
    sequence = models.IntegerField(default=10)

    class Meta:
        ordering = ["sequence", "id"]

    def __str__(self) -> str:
        return self.payload_key or self.source_path

    @property
    def key(self) -> str:
        """The key in the payload's data: the rename, else the source path as written."""
        return self.payload_key or self.source_path

    def clean(self) -> None:
        from rules.transforms import TransformError, validate_transform

        errors: dict[str, str] = {}
        if self.field_type == FieldType.COMPUTED and self.transform != Transform.TEMPLATE:
            errors["transform"] = "A computed field needs the template transform."
        if not self.source_path:
            if self.transform != Transform.TEMPLATE:
                errors["source_path"] = "Required unless the transform is a template."
            elif not self.payload_key:
                errors["payload_key"] = "A template field without a source path needs a key."
        try:
            validate_transform(self.transform, self.transform_arg)
        except TransformError as exc:
            errors.setdefault("transform_arg", str(exc))
        if errors:
            raise ValidationError(errors)


class RulesVersion(models.Model):
    """One row whose token changes with every write to the rule tables (rules, events, payload
    fields, a rule's event list), set by database triggers (migration 0005) in the writing
    transaction, whoever writes: the process-wide rule cache (rules.ruleset) is valid while the
    token it was loaded under is still the one stored."""

    token = models.CharField(max_length=36)

    def __str__(self) -> str:
        return self.token

    @staticmethod
    def kept() -> bool:
        """Whether triggers keep the token on this database (PostgreSQL, SQLite)."""
        return connection.vendor in ("postgresql", "sqlite")

    @classmethod
    def token_sql(cls) -> str:
        table = connection.ops.quote_name(cls._meta.db_table)
        return f"SELECT token FROM {table} WHERE id = 1"  # noqa: S608 - a quoted model name

    @classmethod
    def stored(cls) -> str | None:
        """The stored token, read with raw SQL (every emit and every sender round read it);
        None where it is not kept, or until the next change after a test flush emptied the
        table: then nothing may be cached by it."""
        if not cls.kept():
            return None
        with connection.cursor() as cursor:
            cursor.execute(cls.token_sql())
            row = cursor.fetchone()
        return row[0] if row else None
