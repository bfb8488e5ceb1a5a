"""Admin for the event catalogue and webhook rules (payload fields inline)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from rules.forms import (
    PayloadFieldFormSet,
    PayloadFieldInlineForm,
    WebhookRuleAdminForm,
    secret_status,
)
from rules.models import PayloadField, WebhookEvent, WebhookRule
from rules.problems import problems_for
from rules.services import drop_old_secrets, rotate_secret


def cut(text: str, width: int) -> str:
    """`text`, or its first `width - 1` characters and an ellipsis (the full text in a title)."""
    return text if len(text) <= width else f"{text[: width - 1]}…"


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "model", "is_standard", "active", "rule_count")
    list_filter = ("is_standard", "active")
    search_fields = ("code", "name", "model", "description")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(rule_total=Count("rules"))

    @admin.display(description="Rules", ordering="rule_total")
    def rule_count(self, obj: WebhookEvent) -> int:
        return obj.rule_total  # type: ignore[attr-defined]  # get_queryset's annotation

    def get_readonly_fields(self, request: HttpRequest, obj: WebhookEvent | None = None) -> Any:
        if obj is not None and obj.is_standard:
            return ("code", "name", "model", "is_standard")
        return ("is_standard",)

    def has_delete_permission(self, request: HttpRequest, obj: WebhookEvent | None = None) -> bool:
        if obj is not None and obj.is_standard:
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        super().delete_queryset(request, queryset.filter(is_standard=False))


class PayloadFieldInline(admin.TabularInline):
    model = PayloadField
    form = PayloadFieldInlineForm
    formset = PayloadFieldFormSet
    extra = 0
    ordering = ("sequence", "id")


class WebhookRuleAdmin(admin.ModelAdmin):
    """The rule's own pages: fields, payload fields, signing secrets.

    Registered by the project (hub/rule_admin.py) together with "send test now" (delivery) and
    "record a test event" (hub.events): both sit above rules, which imports neither.
    """

    form = WebhookRuleAdminForm
    inlines = (PayloadFieldInline,)
    change_form_template = "admin/rules/webhookrule/change_form.html"

    class Media:
        # Odoo field names (fields_get, cached) offered on source_path inputs: see docs/odoo.md.
        js = ("hub/field_picker.js",)

    # Short labels and a cut URL: the key columns fit a 1,366 px screen.
    list_display = (
        "name", "model", "event_codes", "method", "short_url", "active", "test", "dispatch",
        "connection", "status_note",
    )  # fmt: skip
    list_filter = ("active", "test_mode", "dispatch_mode", "http_method", "model", "events")
    search_fields = ("name", "model", "url", "description")
    list_select_related = ("connection",)
    filter_horizontal = ("events",)
    readonly_fields = ("signing_status", "deactivated_reason", "created_at", "updated_at")
    actions: tuple[str, ...] = ("rotate_signing_secret", "drop_previous_secrets")
    fieldsets = (
        (None, {"fields": ("name", "description", "model", "events", "connection", "active")}),
        ("Target", {"fields": ("url", "http_method", "dispatch_mode", "timeout", "headers")}),
        (
            "Authentication",
            {
                "fields": (
                    "auth_type",
                    "auth_username",
                    "auth_password",
                    "auth_token",
                    "api_key_header",
                    "api_key",
                    "clear_credentials",
                )  # fmt: skip
            },
        ),
        ("Signing", {"fields": ("secret", "signing_status")}),
        ("When to send", {"fields": ("condition", "trigger_fields", "include_changes")}),
        (
            "Delivery",
            {
                "fields": (
                    "test_mode",
                    "ordered",
                    "max_retries",
                    "retry_initial_delay",
                    "retry_multiplier",
                    "retry_max_interval",
                )  # fmt: skip
            },
        ),
        ("Status", {"fields": ("deactivated_reason", "created_at", "updated_at")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("events")

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        rule = self.get_object(request, object_id) if request.method == "GET" else None
        for line in problems_for(rule) if rule is not None else []:
            self.message_user(request, f"Schema drift: {line}", messages.WARNING)
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="Events")
    def event_codes(self, obj: WebhookRule) -> str:
        return ", ".join(e.code for e in obj.events.all())

    @admin.display(description="Method", ordering="http_method")
    def method(self, obj: WebhookRule) -> str:
        return obj.http_method

    @admin.display(description="URL", ordering="url")
    def short_url(self, obj: WebhookRule) -> str:
        return format_html('<span title="{}">{}</span>', obj.url, cut(obj.url, 40))

    @admin.display(description="Test", boolean=True, ordering="test_mode")
    def test(self, obj: WebhookRule) -> bool:
        return obj.test_mode

    @admin.display(description="Dispatch", ordering="dispatch_mode")
    def dispatch(self, obj: WebhookRule) -> str:
        return obj.dispatch_mode

    @admin.display(description="Note")
    def status_note(self, obj: WebhookRule) -> str:
        return obj.deactivated_reason or ""

    @admin.display(description="Signing secret")
    def signing_status(self, obj: WebhookRule) -> str:
        return secret_status(obj) if obj.pk else "generated on save"

    # --- saving: show a generated secret once ---------------------------------------------------

    def save_model(self, request: HttpRequest, obj: WebhookRule, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # A flag for response_add, which gets this same instance (not a model field).
        generated = getattr(form, "generated_secret", False)
        obj._generated_secret = generated  # type: ignore[attr-defined]

    def response_add(self, request: HttpRequest, obj: WebhookRule, *args: Any) -> HttpResponse:
        response = super().response_add(request, obj, *args)
        if getattr(obj, "_generated_secret", False):
            return self._secret_page(request, [(obj, obj.secret)], next_url=response["Location"])
        return response

    def _secret_page(
        self, request: HttpRequest, shown: list[tuple[WebhookRule, str]], *, next_url: str
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "New signing secret",
            "shown": shown,
            "next_url": next_url,
        }
        response = TemplateResponse(request, "admin/rules/webhookrule/new_secret.html", context)
        response["Cache-Control"] = "no-store"
        return response

    # --- actions --------------------------------------------------------------------------------

    @admin.action(
        description="Rotate signing secret (keep the previous one)", permissions=["change"]
    )
    def rotate_signing_secret(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        shown = [(rule, rotate_secret(rule_id=rule.pk)) for rule in queryset]
        return self._secret_page(request, shown, next_url=request.get_full_path())

    @admin.action(
        description="Drop previous signing secrets (keep the newest)", permissions=["change"]
    )
    def drop_previous_secrets(self, request: HttpRequest, queryset: QuerySet) -> None:
        removed = sum(drop_old_secrets(rule_id=rule.pk) for rule in queryset)
        self.message_user(request, f"Removed {removed} previous secret(s).", messages.SUCCESS)

    # --- buttons on the change page -------------------------------------------------------------

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:rule_id>/rotate-secret/",
                wrap(require_POST(self.rotate_secret_view)),
                name="rules_webhookrule_rotate_secret",
            ),
            *super().get_urls(),
        ]

    def _rule_for_change(self, request: HttpRequest, rule_id: int) -> WebhookRule:
        rule = get_object_or_404(WebhookRule, pk=rule_id)
        if not self.has_change_permission(request, rule):
            raise PermissionDenied
        return rule

    def rotate_secret_view(self, request: HttpRequest, rule_id: int) -> HttpResponse:
        rule = self._rule_for_change(request, rule_id)
        next_url = reverse("admin:rules_webhookrule_change", args=[rule.pk])
        shown = [(rule, rotate_secret(rule_id=rule.pk))]
        return self._secret_page(request, shown, next_url=next_url)
