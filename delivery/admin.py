"""Admin: the delivery log (read-only audit) and the retry queue / dead letters (retry, cancel)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from delivery import retries
from delivery.models import WebhookLog, WebhookRetry
from delivery.probe import send_test_now
from hub.lib.errors import summary_line
from rules.admin import WebhookRuleAdmin as RuleAdmin
from rules.models import WebhookRule


def _link(obj: Any, viewname: str, label: str | None = None) -> str:
    if obj is None:
        return "-"
    try:
        url = reverse(viewname, args=[obj.pk])
    except NoReverseMatch:  # that model has no admin page
        return label or str(obj)
    return format_html('<a href="{}">{}</a>', url, label or str(obj))


def _pretty(value: Any) -> str:
    """JSON (or JSON text) indented in a <pre>; other text as is."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else ""
        except ValueError:
            return format_html("<pre>{}</pre>", value)
    text = value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)
    return format_html('<pre style="white-space: pre-wrap">{}</pre>', text)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else f"{text[: width - 1]}…"


def _short(error: str, width: int = 50) -> str:
    """The one-line summary of an error, cut for a list column (the detail page has it all)."""
    return _cut(summary_line(error), width)


def attempts_text(attempts: int, max_attempts: int) -> str:
    """ "3 / 10"; attempts past the maximum were manual retries: "1 / 1 + 1 manual", not "2 / 1"."""
    if attempts <= max_attempts:
        return f"{attempts} / {max_attempts}"
    return f"{max_attempts} / {max_attempts} + {attempts - max_attempts} manual"


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # an audit trail: retention jobs purge it, people do not


@admin.register(WebhookLog)
class WebhookLogAdmin(ReadOnlyMixin, admin.ModelAdmin):
    # Key columns only, so the list fits a 1,366 px screen; the URL and event are on the page.
    list_display = (
        "created_at",
        "status",
        "http_status",
        "ms",
        "attempt",
        "rule_link",
        "model",
        "record_id",
        "short_error",
        "short_url",
    )
    list_filter = ("status", "http_method", "created_at", "model")
    date_hierarchy = "created_at"
    search_fields = ("url", "delivery_id", "model", "rule_name", "error")
    list_select_related = ("rule", "event")
    fieldsets = (
        (None, {"fields": ("status", "error", "delivery_id", "attempt", "retry_link")}),
        ("Source", {"fields": ("rule_link", "event_link", "model", "record_id", "event_code")}),
        (
            "Request",
            {"fields": ("http_method", "url", "request_headers_pretty", "request_body_pretty")},
        ),
        (
            "Response",
            {
                "fields": (
                    "response_status",
                    "duration_ms",
                    "response_headers_pretty",
                    "response_body_pretty",
                )
            },
        ),
        ("Timing", {"fields": ("created_at", "claimed_at", "sent_at")}),
    )
    readonly_fields = flatten_fieldsets(fieldsets)

    @admin.display(description="error")
    def short_error(self, log: WebhookLog) -> str:
        return _short(log.error)

    @admin.display(description="url", ordering="url")
    def short_url(self, log: WebhookLog) -> str:
        # A URL has no spaces: let it break anywhere rather than widen the table.
        return format_html(
            '<span title="{}" style="word-break: break-all">{}</span>', log.url, _cut(log.url, 40)
        )

    @admin.display(description="HTTP", ordering="response_status")
    def http_status(self, log: WebhookLog) -> int | None:
        return log.response_status

    @admin.display(description="ms", ordering="duration_ms")
    def ms(self, log: WebhookLog) -> int | None:
        return log.duration_ms

    @admin.display(description="rule", ordering="rule_name")
    def rule_link(self, log: WebhookLog) -> str:
        return _link(log.rule, "admin:rules_webhookrule_change", log.rule_name or None)

    @admin.display(description="event")
    def event_link(self, log: WebhookLog) -> str:
        return _link(log.event, "admin:hub_eventhistory_change")

    @admin.display(description="retry entry")
    def retry_link(self, log: WebhookLog) -> str:
        return _link(log.retry, "admin:delivery_webhookretry_change")

    @admin.display(description="request headers")
    def request_headers_pretty(self, log: WebhookLog) -> str:
        return _pretty(log.request_headers)

    @admin.display(description="request body")
    def request_body_pretty(self, log: WebhookLog) -> str:
        return _pretty(log.request_body)

    @admin.display(description="response headers")
    def response_headers_pretty(self, log: WebhookLog) -> str:
        return _pretty(log.response_headers)

    @admin.display(description="response body (first 64 KiB)")
    def response_body_pretty(self, log: WebhookLog) -> str:
        return _pretty(log.response_body)


class AttemptInline(admin.TabularInline):
    model = WebhookLog
    fk_name = "retry"
    fields = ("attempt_link", "status", "response_status", "duration_ms", "error", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("attempt",)
    verbose_name_plural = "attempts"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="attempt")
    def attempt_link(self, log: WebhookLog) -> str:
        return _link(log, "admin:delivery_webhooklog_change", f"#{log.attempt}")


@admin.register(WebhookRetry)
class WebhookRetryAdmin(admin.ModelAdmin):
    list_display = (
        "delivery_id",
        "state",
        "attempts_display",
        "next_retry_at",
        "last_status",
        "short_error",
        "rule_link",
        "event_link",
        "updated_at",
    )
    list_filter = ("state", "rule")
    search_fields = ("delivery_id", "last_error")
    list_select_related = ("rule", "event")
    actions = ("retry_now", "cancel")
    inlines = (AttemptInline,)
    fields = (
        "delivery_id",
        "state",
        "attempts",
        "max_attempts",
        "next_retry_at",
        "exhausted_at",
        "last_status",
        "last_error",
        "rule_link",
        "event_link",
        "initial_delay",
        "multiplier",
        "max_interval",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The list's actions need change permission; the entry itself is never edited by hand.
        return obj is None and super().has_change_permission(request)

    @admin.display(description="attempts")
    def attempts_display(self, retry: WebhookRetry) -> str:
        return attempts_text(retry.attempts, retry.max_attempts)

    @admin.display(description="last error")
    def short_error(self, retry: WebhookRetry) -> str:
        return _short(retry.last_error)

    @admin.display(description="rule")
    def rule_link(self, retry: WebhookRetry) -> str:
        return _link(retry.rule, "admin:rules_webhookrule_change")

    @admin.display(description="event")
    def event_link(self, retry: WebhookRetry) -> str:
        return _link(retry.event, "admin:hub_eventhistory_change")

    @admin.action(description="Retry now", permissions=["change"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[WebhookRetry]) -> None:
        count = retries.retry_now(retry_ids=list(queryset.values_list("id", flat=True)))
        skipped = queryset.count() - count
        self.message_user(request, f"{count} delivery(ies) sent for another attempt.")
        if skipped:
            self.message_user(
                request,
                f"{skipped} skipped: in flight or already succeeded.",
                level=messages.WARNING,
            )

    @admin.action(description="Cancel", permissions=["change"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[WebhookRetry]) -> None:
        count = retries.cancel(retry_ids=list(queryset.values_list("id", flat=True)))
        self.message_user(request, f"{count} delivery(ies) cancelled.")


# --- "send test now" on the rule admin ------------------------------------------------------

MAX_TESTS_PER_ACTION = 20  # each test is a real HTTP request made inside the admin request
SHOWN_HEADERS = ("Content-Type", "Content-Length", "Location", "Retry-After", "X-Request-Id")
BODY_PREFIX = 200  # characters of the response body in the message (the log keeps 64 KiB)


def send_test_message(rule: WebhookRule, log: WebhookLog) -> str:
    """'Orders: success HTTP 200 in 12 ms; Content-Type: ...; body: {"ok": true}' (one line)."""
    parts = [f"{rule.name}: {log.status}"]
    if log.response_status is not None:
        parts.append(f"HTTP {log.response_status}")
    if log.duration_ms is not None:
        parts.append(f"in {log.duration_ms} ms")
    if log.error and log.error != f"HTTP {log.response_status}":  # not the status twice
        parts.append(f"- {summary_line(log.error)}")
    text = " ".join(parts)
    received = {k.lower(): v for k, v in (log.response_headers or {}).items()}
    headers = [
        f"{name}: {received[name.lower()]}" for name in SHOWN_HEADERS if name.lower() in received
    ]
    if headers:
        text += "; " + ", ".join(headers)
    if log.response_status is not None:
        body = " ".join((log.response_body or "").split())
        cut = f"{body[:BODY_PREFIX]}…" if len(body) > BODY_PREFIX else body
        text += f"; body: {cut or '(empty)'}"
    return text


class SendTestRuleAdmin(RuleAdmin):
    """rules' WebhookRuleAdmin plus "send test now": the action, the change-page button and its
    URL (``admin:rules_webhookrule_send_test``).

    A subclass, not registered here: the project's admin (hub/rule_admin.py) adds "record a
    test event", which records through hub.events, above delivery, and registers the result.
    So each app adds what it owns to the rule's pages, no lower app imports a higher one, and
    nothing is unregistered and registered again.
    """

    change_form_template = "admin/delivery/webhookrule/change_form.html"

    @admin.action(description="Send test event now (shows the response)", permissions=["change"])
    def send_test_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        for rule in queryset[:MAX_TESTS_PER_ACTION]:
            self._send_test(request, rule)

    def _send_test(self, request: HttpRequest, rule: WebhookRule) -> None:
        log = send_test_now(rule=rule)
        ok = log.status in ("success", "test")
        self.message_user(
            request, send_test_message(rule, log), messages.SUCCESS if ok else messages.ERROR
        )

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:rule_id>/send-test/",
                wrap(require_POST(self.send_test_view)),
                name="rules_webhookrule_send_test",
            ),
            *super().get_urls(),
        ]

    def send_test_view(self, request: HttpRequest, rule_id: int) -> HttpResponse:
        rule = self._rule_for_change(request, rule_id)
        self._send_test(request, rule)
        return HttpResponseRedirect(reverse("admin:rules_webhookrule_change", args=[rule.pk]))


from delivery import lanes_admin  # noqa: E402,F401  (registers the lane admin)
