"""Admin for the Odoo connector: connections, model hooks, the field picker and the preview.

Registered on import; hub/admin.py imports this module so Django's admin autodiscovery (which
only looks at each app's top-level ``admin`` module) finds it.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from hub.odoo import nudge, queue, state
from hub.odoo.client import OdooClient, OdooError
from hub.odoo.drift import hook_problems
from hub.odoo.echo import same_user_warning
from hub.odoo.fields import cached_describe
from hub.odoo.forms import ModelHookForm, OdooConnectionForm, PreviewForm
from hub.odoo.models import ModelHook, OdooConnection, RecordSnapshot
from hub.odoo.preview import PreviewError, preview_record

FIELD_PICKER_JS = ("hub/field_picker.js",)
NOT_QUEUED = "The task queue is unavailable: nothing was queued. Try again later."


def short(text: str, length: int = 80) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


# --- connections ---------------------------------------------------------------------------
@admin.register(OdooConnection)
class OdooConnectionAdmin(admin.ModelAdmin):
    form = OdooConnectionForm
    list_display = (
        "name",
        "url",
        "database",
        "username",
        "active",
        "version",
        "poll_interval",
        "last_poll_at",
        "status",
    )
    list_filter = ("active", "version")
    search_fields = ("name", "url", "database", "username")
    readonly_fields = (
        "version",
        "transport",
        "uid",
        "push_token",
        "nudge_url",
        "last_poll_at",
        "next_poll_at",
        "consecutive_failures",
        "last_error",
        "last_error_at",
    )
    actions = ("test_connection", "poll_now", "generate_push_token")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "name",
                    "url",
                    "database",
                    "username",
                    "password",
                    "api_key",
                    "protocol",
                    "active",
                )
            },
        ),
        (
            "Polling",
            {
                "fields": (
                    "poll_interval",
                    "timeout",
                    "last_poll_at",
                    "next_poll_at",
                    "consecutive_failures",
                    "last_error",
                    "last_error_at",
                )
            },
        ),
        ("Detected", {"fields": ("version", "transport", "uid", "push_token")}),
        (
            "Nudge",
            {
                "fields": ("nudge_url",),
                "description": "Odoo's server action Send Webhook Notification posts here to "
                "have a record read at once (docs/odoo.md). The URL holds a secret; generating "
                "a new push token replaces it.",
            },
        ),
    )

    @admin.display(description="Status")
    def status(self, obj: OdooConnection) -> str:
        return short(obj.last_error) if obj.last_error else "ok"

    @admin.display(description="Nudge URL")
    def nudge_url(self, obj: OdooConnection) -> str:
        return nudge.nudge_url(obj) if obj.pk else "(shown once the connection is saved)"

    @admin.display(description="Push token")
    def push_token(self, obj: OdooConnection) -> str:
        return "set (use the action to replace it)" if obj.push_token_hash else "not set"

    @admin.action(description="Test connection (version and login)", permissions=["change"])
    def test_connection(self, request: HttpRequest, queryset: QuerySet) -> None:
        for conn in queryset:
            probe = state.probe_connection(connection_id=conn.pk)
            if probe.ok:
                self.message_user(
                    request,
                    f"{conn.name}: Odoo {probe.version} over {probe.transport_label}, "
                    f"logged in as uid {probe.uid}.",
                    messages.SUCCESS,
                )
            else:
                self.message_user(request, f"{conn.name}: {probe.error}", messages.ERROR)

    @admin.action(description="Poll now", permissions=["change"])
    def poll_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        queued = [queue.poll_connection(conn.pk) for conn in queryset]
        if None in queued:
            self.message_user(request, NOT_QUEUED, messages.ERROR)
            return
        self.message_user(
            request,
            f"Poll queued for {queryset.count()} connection(s); see the hooks' last result.",
            messages.SUCCESS,
        )

    @admin.action(description="Generate a new push token (shown once)", permissions=["change"])
    def generate_push_token(self, request: HttpRequest, queryset: QuerySet) -> None:
        if not self.has_change_permission(request):
            raise PermissionDenied
        for conn in queryset:
            token = state.issue_push_token(connection_id=conn.pk)
            self.message_user(
                request,
                f"{conn.name}: new push token (copy it now, it is not "
                f"shown again; the previous one stops working): {token}",
                messages.WARNING,
            )

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path("fields/", view(self.fields_view), name="hub_odooconnection_fields_default"),
            path("<int:pk>/fields/", view(self.fields_view), name="hub_odooconnection_fields"),
            *super().get_urls(),
        ]

    def fields_view(self, request: HttpRequest, pk: int | None = None) -> JsonResponse:
        """fields_get of ?model= (cached 10 min) for the field picker; no connection id = the
        first active connection (rules without a connection)."""
        user = request.user
        if not (
            user.has_perm("hub.view_odooconnection")
            or user.has_perm("hub.change_modelhook")
            or user.has_perm("rules.change_webhookrule")
        ):
            raise PermissionDenied
        model = (request.GET.get("model") or "").strip()
        if not model:
            return JsonResponse({"error": "give ?model=, e.g. res.partner"}, status=400)
        qs = OdooConnection.objects.filter(active=True) if pk is None else OdooConnection.objects
        conn = qs.filter(pk=pk).first() if pk is not None else qs.order_by("pk").first()
        if conn is None:
            return JsonResponse({"error": "no Odoo connection"}, status=404)
        try:
            with OdooClient.for_connection(conn) as client:
                fields = cached_describe(conn.pk, client)(model)
        except OdooError as exc:
            return JsonResponse({"error": state.describe_error(exc)}, status=502)
        return JsonResponse({"connection": conn.pk, "model": model, "fields": fields})


def echo_warning(hook: ModelHook) -> str:
    conn = hook.connection
    return same_user_warning(mode=hook.echo_suppression, uid=conn.uid, username=conn.username)


# --- hooks -----------------------------------------------------------------------------------
@admin.register(ModelHook)
class ModelHookAdmin(admin.ModelAdmin):
    form = ModelHookForm
    list_display = (
        "model",
        "connection",
        "watched",
        "active",
        "baseline_done",
        "cursor",
        "last_poll_at",
        "last_result",
        "error",
    )
    list_filter = ("active", "connection", "baseline_done")
    search_fields = ("model", "domain", "connection__name")
    list_select_related = ("connection",)
    readonly_fields = (
        "cursor",
        "baseline_done",
        "last_poll_at",
        "last_reconcile_at",
        "last_result",
        "last_error",
        "snapshot_count",
        "preview_link",
        "echo_note",
    )
    actions = ("poll_now", "backfill", "reset_baseline")

    class Media:
        js = FIELD_PICKER_JS

    @admin.display(description="Events")
    def watched(self, obj: ModelHook) -> str:
        return ", ".join(obj.events or []) or "all"

    @admin.display(description="Error")
    def error(self, obj: ModelHook) -> str:
        return short(obj.last_error)

    @admin.display(description="Known records")
    def snapshot_count(self, obj: ModelHook) -> int:
        return RecordSnapshot.objects.filter(hook=obj).count() if obj.pk else 0

    @admin.display(description="Preview payload")
    def preview_link(self, obj: ModelHook) -> str:
        if not obj.pk:
            return "-"
        url = reverse("admin:hub_modelhook_preview", args=[obj.pk])
        return format_html('<a href="{}">Preview what a rule would send for a record</a>', url)

    @admin.action(description="Poll now (and look for deletions)", permissions=["change"])
    def poll_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        if not queue.poll_hooks(list(queryset.values_list("pk", flat=True))):
            self.message_user(request, NOT_QUEUED, messages.ERROR)
            return
        self.message_user(request, f"Poll queued for {queryset.count()} hook(s).")

    @admin.action(
        description="Backfill: emit create for every matching record", permissions=["change"]
    )
    def backfill(self, request: HttpRequest, queryset: QuerySet) -> None:
        if not queue.backfill_hooks(list(queryset.values_list("pk", flat=True))):
            self.message_user(request, NOT_QUEUED, messages.ERROR)
            return
        self.message_user(request, f"Backfill queued for {queryset.count()} hook(s).")

    @admin.action(
        description="Reset baseline (forget known records; next poll re-baselines)",
        permissions=["change"],
    )
    def reset_baseline(self, request: HttpRequest, queryset: QuerySet) -> None:
        RecordSnapshot.objects.filter(hook__in=queryset).delete()
        count = queryset.update(baseline_done=False, cursor=None, last_reconcile_at=None)
        self.message_user(request, f"Baseline reset for {count} hook(s).")

    def save_model(self, request: HttpRequest, obj: ModelHook, form: Any, change: bool) -> None:
        if change and {"model", "connection"} & set(form.changed_data):
            # Snapshots of another model (or Odoo) mean nothing here: start over.
            RecordSnapshot.objects.filter(hook=obj).delete()
            obj.baseline_done, obj.cursor, obj.last_reconcile_at = False, None, None
        super().save_model(request, obj, form, change)
        if warning := echo_warning(obj):
            self.message_user(request, warning, messages.WARNING)

    @admin.display(description="Echo suppression note")
    def echo_note(self, obj: ModelHook) -> str:
        return (echo_warning(obj) or "-") if obj.pk else "-"

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        hook = self.get_object(request, object_id) if request.method == "GET" else None
        if hook is not None:
            if warning := echo_warning(hook):
                self.message_user(request, warning, messages.WARNING)
            for line in hook_problems(hook):
                self.message_user(request, f"Schema drift: {line}", messages.WARNING)
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/preview/", view(self.preview_view), name="hub_modelhook_preview"),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        hook = get_object_or_404(ModelHook.objects.select_related("connection"), pk=pk)
        if not self.has_view_permission(request, hook):
            raise PermissionDenied
        form = PreviewForm(request.POST or None, model=hook.model)
        result, error = None, ""
        if request.method == "POST" and form.is_valid():
            try:
                result = preview_record(
                    hook=hook,
                    rule=form.cleaned_data["rule"],
                    record_id=form.cleaned_data["record_id"],
                    event_code=form.cleaned_data["event"],
                )
            except (PreviewError, OdooError, ValueError) as exc:
                error = state.describe_error(exc) if isinstance(exc, OdooError) else str(exc)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "hook": hook,
            "form": form,
            "result": result,
            "error": error,
            "headers": json.dumps(result["headers"], indent=2) if result else "",
            "body": _pretty_body(result["body"]) if result else "",
            "raw_body": result["body"] if result else "",
            "title": f"Preview payload: {hook}",
        }
        return TemplateResponse(request, "admin/hub/modelhook/preview.html", context)


def _pretty_body(body: str) -> str:
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body
