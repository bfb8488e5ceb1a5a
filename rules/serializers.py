"""API serializers for events, rules (payload fields nested) and custom events (emit)."""

from __future__ import annotations

import copy
from typing import Any, TypeGuard

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from rest_framework import serializers

from hub.crypto import generate_signing_secret, split_secrets
from hub.lib.redaction import MASK, MaskedValueError, mask_headers, restore_masked
from rules.models import PayloadField, WebhookEvent, WebhookRule
from rules.problems import problems_for
from rules.ruleset import RuleSet, active_rules
from rules.validators import MODEL_RE, validate_odoo_model
from rules.validators import validate_headers as check_headers

WRITE_ONLY = ("auth_password", "auth_token", "api_key", "secret")
PASSWORD = {"input_type": "password"}


def _raise_django(exc: DjangoValidationError) -> None:
    detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
    raise serializers.ValidationError(detail) from exc


class WebhookEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookEvent
        fields = ("id", "code", "name", "model", "description", "is_standard", "active")
        read_only_fields = ("is_standard",)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        event = self.instance
        if event is not None and event.is_standard:
            errors = {
                name: f"The standard event's {name} cannot be changed."
                for name in ("code", "name", "model")
                if name in attrs and attrs[name] != getattr(event, name)
            }
            if errors:
                raise serializers.ValidationError(errors)
        return attrs


class PayloadFieldSerializer(serializers.ModelSerializer):
    class Meta:
        model = PayloadField
        fields = (
            "source_path", "field_type", "payload_key", "include", "transform",
            "transform_arg", "default_value", "sequence",
        )  # fmt: skip

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            PayloadField(**attrs).clean()
        except DjangoValidationError as exc:
            _raise_django(exc)
        return attrs


class EventCodeField(serializers.SlugRelatedField):
    default_error_messages = {
        "does_not_exist": "Unknown event code {value!r}: create it under /api/events/ first.",
        "invalid": "An event code is a string.",
    }

    def to_internal_value(self, data: Any) -> WebhookEvent:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class WebhookRuleSerializer(serializers.ModelSerializer):
    events = EventCodeField(
        many=True, slug_field="code", queryset=WebhookEvent.objects.all(), allow_empty=False
    )
    payload_fields = PayloadFieldSerializer(many=True, required=False)
    headers = serializers.JSONField(
        required=False,
        validators=[check_headers],
        help_text="Extra headers (object). Values of credential-like names (Authorization, "
        f"Cookie, *token*, *secret*, *key*, *password*, ...) are returned as {MASK}; sending "
        f"{MASK} back keeps the stored value.",
    )
    has_secret = serializers.SerializerMethodField()
    has_auth_password = serializers.SerializerMethodField()
    has_auth_token = serializers.SerializerMethodField()
    has_api_key = serializers.SerializerMethodField()
    problems = serializers.SerializerMethodField(
        help_text="Read-only: fields this rule names that Odoo no longer has (schema drift)."
    )

    class Meta:
        model = WebhookRule
        fields = (
            "id", "name", "description", "model", "events", "connection", "url", "http_method",
            "auth_type", "auth_username", "auth_password", "auth_token", "api_key_header",
            "api_key", "headers", "secret", "condition", "trigger_fields", "include_changes",
            "active", "test_mode", "dispatch_mode", "timeout", "max_retries",
            "retry_initial_delay", "retry_multiplier", "retry_max_interval", "ordered",
            "payload_fields", "deactivated_reason",
            "has_secret", "has_auth_password", "has_auth_token", "has_api_key", "problems",
        )  # fmt: skip
        read_only_fields = ("deactivated_reason",)
        extra_kwargs = {
            **{name: {"write_only": True, "style": PASSWORD} for name in WRITE_ONLY},
            "secret": {
                "write_only": True,
                "style": PASSWORD,
                "required": False,
                "help_text": "whsec_ secret(s), space separated; generated when omitted.",
            },
        }

    def get_problems(self, rule: WebhookRule) -> list[str]:
        return problems_for(rule)

    def get_has_secret(self, rule: WebhookRule) -> bool:
        return bool(split_secrets(rule.secret))

    def get_has_auth_password(self, rule: WebhookRule) -> bool:
        return bool(rule.auth_password)

    def get_has_auth_token(self, rule: WebhookRule) -> bool:
        return bool(rule.auth_token)

    def get_has_api_key(self, rule: WebhookRule) -> bool:
        return bool(rule.api_key)

    def validate_headers(self, value: dict[str, str]) -> dict[str, str]:
        stored = self.instance.headers if self.instance is not None else {}
        try:
            return restore_masked(value, stored or {})
        except MaskedValueError as exc:
            raise serializers.ValidationError(str(exc)) from exc

    def validate_payload_fields(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        included = [f for f in value if f.get("include", True)]
        keys = [f.get("payload_key") or f.get("source_path") or "" for f in included]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise serializers.ValidationError(
                f"Several included fields write the key(s) {', '.join(map(repr, duplicates))}."
            )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The model's cross-field checks (authentication needs its credentials), shared with the
        # admin: run them on the rule as it would be saved.
        rule = copy.copy(self.instance) if self.instance is not None else WebhookRule()
        for name, value in attrs.items():
            if name not in ("events", "payload_fields"):
                setattr(rule, name, value)
        try:
            rule.clean()
        except DjangoValidationError as exc:
            _raise_django(exc)
        if self.instance is None and not attrs.get("secret"):
            attrs["secret"] = self.context["generated_secret"] = generate_signing_secret()
        return attrs

    def to_representation(self, instance: WebhookRule) -> dict[str, Any]:
        data = super().to_representation(instance)
        # Credential header values are write-only, like auth_token (DESIGN: secrets never read).
        data["headers"] = mask_headers(instance.headers or {})
        if self.context.get("generated_secret"):
            # A generated secret is returned once, in the create response (like a connection's
            # push token); afterwards only has_secret, or rotate-secret for a new one.
            data["secret"] = self.context["generated_secret"]
        return data

    @transaction.atomic
    def create(self, validated_data: dict[str, Any]) -> WebhookRule:
        events = validated_data.pop("events")
        fields = validated_data.pop("payload_fields", [])
        rule = WebhookRule.objects.create(**validated_data)
        rule.events.set(events)
        PayloadField.objects.bulk_create(PayloadField(rule=rule, **f) for f in fields)
        return rule

    @transaction.atomic
    def update(self, rule: WebhookRule, validated_data: dict[str, Any]) -> WebhookRule:
        events = validated_data.pop("events", None)
        fields = validated_data.pop("payload_fields", None)
        for name, value in validated_data.items():
            setattr(rule, name, value)
        rule.save()
        if events is not None:
            rule.events.set(events)
        if fields is not None:  # the list is replaced as a whole
            rule.payload_fields.all().delete()
            PayloadField.objects.bulk_create(PayloadField(rule=rule, **f) for f in fields)
        return rule


class ChangeSerializer(serializers.Serializer):
    before = serializers.JSONField(required=False, allow_null=True)
    after = serializers.JSONField(required=False, allow_null=True)


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(allow_blank=True)


class EmitSerializer(serializers.Serializer):
    """A custom event: ``{model, event, record_id, data, changes?, user?}``."""

    model = serializers.CharField(max_length=128, validators=[validate_odoo_model])
    event = serializers.CharField(max_length=128)
    record_id = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=2**63 - 1
    )
    # A declared field: DRF's metaclass takes it out of the class, so `.data` stays the property.
    data = serializers.DictField(required=False, default=dict)  # type: ignore[assignment]
    changes = serializers.DictField(child=ChangeSerializer(), required=False, allow_null=True)
    user = UserSerializer(required=False, allow_null=True)

    def validate_event(self, code: str) -> str:
        # The emit view reads the rule set once for this check and the recording.
        ruleset = self.context.get("ruleset") or active_rules()
        if code not in ruleset.event_codes:
            raise serializers.ValidationError(
                f"Unknown or inactive event code {code!r}: create it under /api/events/ first."
            )
        return code


_NAME_MAX = 128  # EmitSerializer's model and event
_RECORD_ID_MAX = 2**63 - 1


def _plain_name(value: Any) -> TypeGuard[str]:
    """A string EmitSerializer's CharField keeps unchanged: no surrounding blanks, not empty,
    within its length."""
    return type(value) is str and 0 < len(value) <= _NAME_MAX and value == value.strip()


def plain_emit_values(data: Any, ruleset: RuleSet) -> dict[str, Any] | None:
    """EmitSerializer's ``validated_data`` for the common emit, without building a serializer
    (DRF deep-copies its six fields, nested ones included, for every instance: about 1 ms of
    CPU, a sixth of an emit's). Only the plainest valid input is answered here: a dict with a
    valid model, an active event code, an integer or null ``record_id``, an object or no
    ``data``, and ``changes`` and ``user`` absent or null. Anything else is None: the caller
    then runs EmitSerializer, which accepts or answers the 400 exactly as before."""
    if type(data) is not dict:
        return None
    model, code = data.get("model"), data.get("event")
    if not (_plain_name(model) and _plain_name(code)) or code not in ruleset.event_codes:
        return None
    if not MODEL_RE.match(model):
        return None
    values: dict[str, Any] = {"model": model, "event": code}
    if "record_id" in data:
        record_id = data["record_id"]
        if record_id is not None and not (
            type(record_id) is int and 0 <= record_id <= _RECORD_ID_MAX
        ):
            return None
        values["record_id"] = record_id
    body = data.get("data", {})
    if type(body) is not dict:
        return None
    values["data"] = dict(body)
    for key in ("changes", "user"):
        if key in data:
            if data[key] is not None:
                return None
            values[key] = None
    return values
