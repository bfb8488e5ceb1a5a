"""Admin: sources (URL, signed curl example, secret rotation) and the read-only request log."""

from __future__ import annotations

import json
import time
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

from hub.crypto import split_secrets
from inbound import rotation
from inbound.examples import curl_command
from inbound.handlers import HANDLERS
from inbound.models import InboundSource, IncomingWebhook
from inbound.processing import reprocess
from inbound.source_checks import SourceChecksForm


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else f"{text[: width - 1]}…"


def _pre(text: str) -> SafeString:
    return format_html('<pre style="white-space: pre-wrap">{}</pre>', text)


def pretty(value: Any) -> SafeString:
    """JSON (or text that is JSON) indented in a <pre>; other text as it is, escaped."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return _pre(value)
    return _pre(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str))


def handler_config_help() -> str:
    """The keys each handler reads (a key not listed is refused when the source is saved)."""
    keys = "; ".join(
        f"{name}: {', '.join(getattr(module, 'CONFIG_KEYS', ())) or 'none ({})'}"
        for name, module in HANDLERS.items()
    )
    return f"A JSON object. Keys per handler: {keys}. docs/inbound.md has examples."


class SourceForm(SourceChecksForm):
    secret = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Leave blank to keep the current secret(s) (or to generate one for a new "
        "source). Stripe and Shopify issue theirs: paste it here. Several: separate by spaces.",
    )

    class Meta:
        model = InboundSource
        fields = [
            "name", "active", "slug", "verification", "secret", "api_key_header",
            "tolerance_seconds", "idempotency_path", "rate_limit_per_minute", "handler",
            "handler_config", "connection",
        ]  # fmt: skip
        help_texts = {"handler_config": handler_config_help()}
        error_messages = {
            "handler_config": {
                "invalid": 'Enter a JSON object such as {"model": "res.partner", ...}; the keys '
                "each handler reads are listed below the field."
            }
        }

    def clean_secret(self) -> str:
        value = self.cleaned_data.get("secret") or ""
        return value or (self.instance.secret if self.instance.pk else "")


SECRET_FIELDS = frozenset({"slug", "inbound_url", "secret", "current_secrets", "curl_example"})


@admin.register(InboundSource)
class InboundSourceAdmin(admin.ModelAdmin):
    form = SourceForm
    list_display = ["name", "verification", "handler", "connection", "active", "updated_at"]
    list_filter = ["verification", "handler", "active"]
    search_fields = ["name", "slug"]
    list_select_related = ["connection"]
    readonly_fields = ["inbound_url", "current_secrets", "curl_example", "created_at", "updated_at"]
    actions = ["generate_secret", "rotate_secret", "drop_old_secrets", "new_slug"]
    fieldsets = [
        (None, {"fields": ["name", "active", "slug", "inbound_url"]}),
        (
            "Verification",
            {
                "fields": [
                    "verification",
                    "secret",
                    "current_secrets",
                    "api_key_header",
                    "tolerance_seconds",
                    "idempotency_path",
                    "rate_limit_per_minute",
                ]  # fmt: skip
            },
        ),
        ("Handler", {"fields": ["handler", "handler_config", "connection"]}),
        ("Try it", {"fields": ["curl_example"]}),
        ("Audit", {"fields": ["created_at", "updated_at"]}),
    ]

    def get_fieldsets(
        self, request: HttpRequest, obj: InboundSource | None = None
    ) -> list[Any] | tuple[Any, ...]:
        fieldsets = super().get_fieldsets(request, obj)
        if self.has_change_permission(request, obj):
            return fieldsets
        # View-only staff never see a secret: not the secrets, not the signed example, and not
        # the slug or URL (for `none` sources the slug is the secret).
        shown = [
            (name, {**opts, "fields": [f for f in opts["fields"] if f not in SECRET_FIELDS]})
            for name, opts in fieldsets
        ]
        return [(name, opts) for name, opts in shown if opts["fields"]]

    @admin.display(description="Inbound URL")
    def inbound_url(self, obj: InboundSource) -> str:
        return obj.url if obj.pk else "(saved sources get their URL)"

    @admin.display(description="Current secret(s), newest first")
    def current_secrets(self, obj: InboundSource) -> SafeString | str:
        values = split_secrets(obj.secret or "")
        if obj.verification == "none":
            return "None: the slug in the URL is the secret (action: new slug)."
        return pretty("\n".join(values)) if values else "(none yet)"

    @admin.display(description="curl example (signed now; timestamped schemes: valid ±5 min)")
    def curl_example(self, obj: InboundSource) -> SafeString | str:
        if not obj.pk:
            return "(save first)"
        values = split_secrets(obj.secret or "")
        command = curl_command(
            url=obj.url,
            scheme=obj.verification,
            secret=values[0] if values else "",
            now=int(time.time()),
            handler=obj.handler,
            api_key_header=obj.api_key_header,
        )
        return _pre(command)

    def _each(self, request: HttpRequest, queryset: QuerySet, fn: Any, done: str) -> None:
        for source in queryset:
            try:
                fn(source_id=source.pk)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
            else:
                self.message_user(request, f"{source}: {done}", messages.SUCCESS)

    @admin.action(description="Generate a new secret (replaces all)", permissions=["change"])
    def generate_secret(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(request, queryset, rotation.generate_secret, "new secret generated")

    @admin.action(
        description="Rotate: add a new secret, keep the old ones valid", permissions=["change"]
    )
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(request, queryset, rotation.rotate_secret, "new secret added; old still valid")

    @admin.action(description="Drop old secrets (keep the newest)", permissions=["change"])
    def drop_old_secrets(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(request, queryset, rotation.drop_old_secrets, "old secrets dropped")

    @admin.action(
        description="New slug (new URL; the old one stops working)", permissions=["change"]
    )
    def new_slug(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(request, queryset, rotation.new_slug, "new URL")


@admin.register(IncomingWebhook)
class IncomingWebhookAdmin(admin.ModelAdmin):
    # Short labels and cut values: the key columns fit a 1,366 px screen.
    list_display = [
        "id", "received_at", "source", "state", "verification", "http_status", "short_key",
        "short_result", "attempts",
    ]  # fmt: skip
    list_filter = ["source", "state", "verification_status", "response_status"]
    date_hierarchy = "received_at"
    search_fields = ["idempotency_key", "error"]
    list_select_related = ["source"]
    actions = ["reprocess_selected"]
    fields = readonly_fields = (
        "source", "received_at", "remote_addr", "verification_status", "state",
        "response_status", "idempotency_key", "duplicate_of", "attempts", "next_retry_at",
        "processed_at", "error", "pretty_result", "pretty_headers", "pretty_body",
        "body_truncated",
    )  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # an audit log: nothing is edited by hand

    def has_reprocess_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("inbound.change_incomingwebhook")

    @admin.display(description="Verification", ordering="verification_status")
    def verification(self, obj: IncomingWebhook) -> str:
        return obj.get_verification_status_display()

    @admin.display(description="HTTP", ordering="response_status")
    def http_status(self, obj: IncomingWebhook) -> int | None:
        return obj.response_status

    @admin.display(description="Idempotency key", ordering="idempotency_key")
    def short_key(self, obj: IncomingWebhook) -> str:
        key = obj.idempotency_key or ""
        return format_html('<span title="{}">{}</span>', key, _cut(key, 24)) if key else "-"

    @admin.display(description="Result")
    def short_result(self, obj: IncomingWebhook) -> str:
        if not obj.result:
            return ""
        return _cut(json.dumps(obj.result, default=str), 60)

    @admin.display(description="Result")
    def pretty_result(self, obj: IncomingWebhook) -> SafeString:
        return pretty(obj.result)

    @admin.display(description="Headers (secrets redacted)")
    def pretty_headers(self, obj: IncomingWebhook) -> SafeString:
        return pretty(obj.headers)

    @admin.display(description="Body")
    def pretty_body(self, obj: IncomingWebhook) -> SafeString:
        return pretty(obj.body)

    @admin.action(description="Reprocess (run the handler again)", permissions=["reprocess"])
    def reprocess_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = skipped = 0
        for pk in queryset.values_list("pk", flat=True):
            if reprocess(incoming_id=pk):
                done += 1
            else:
                skipped += 1
        self.message_user(request, f"{done} queued for reprocessing.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"{skipped} skipped: rejected, duplicate and in-progress requests never run.",
                messages.WARNING,
            )
