"""API endpoints of the core app (on hub.api.routers.router): connections, hooks, history."""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from hub.api.permissions import ModelPermissions
from hub.api.routers import router
from hub.crypto import token_hash
from hub.models import STANDARD_EVENTS, EventHistory, ModelHook, OdooConnection
from hub.odoo import queue, state
from hub.odoo.client import OdooError
from hub.odoo.drift import hook_problems
from hub.odoo.nudge import nudge_url
from hub.odoo.preview import PreviewError, preview_record
from rules.domain import DomainError, parse_domain

PASSWORD = {"input_type": "password"}
Queued = inline_serializer("PollQueued", {"queued": serializers.BooleanField()})


def _queued(task_id: str | None) -> Response:
    """202 once the task is on the broker; 503 when the broker is down (nothing was queued)."""
    if task_id is None:
        return Response(
            {"queued": False, "error": "the task queue is unavailable; try again later"},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
    return Response({"queued": True}, status=status.HTTP_202_ACCEPTED)


class OdooConnectionSerializer(serializers.ModelSerializer):
    password = serializers.CharField(
        write_only=True, required=False, allow_blank=True, style=PASSWORD
    )
    api_key = serializers.CharField(
        write_only=True, required=False, allow_blank=True, style=PASSWORD
    )
    push_token = serializers.CharField(
        write_only=True,
        required=False,
        min_length=16,
        style=PASSWORD,
        help_text="Generated when omitted; returned once, in the create response.",
    )
    has_password = serializers.SerializerMethodField()
    has_api_key = serializers.SerializerMethodField()
    has_push_token = serializers.SerializerMethodField()
    nudge_url = serializers.SerializerMethodField(
        help_text="POST target for Odoo's Send Webhook Notification action (docs/odoo.md); "
        "it carries a secret and changes with the push token."
    )

    class Meta:
        model = OdooConnection
        fields = (
            "id",
            "name",
            "url",
            "database",
            "username",
            "password",
            "api_key",
            "push_token",
            "poll_interval",
            "timeout",
            "protocol",
            "active",
            "version",
            "transport",
            "last_poll_at",
            "last_error",
            "last_error_at",
            "has_password",
            "has_api_key",
            "has_push_token",
            "nudge_url",
        )
        read_only_fields = (
            "version",
            "transport",
            "last_poll_at",
            "last_error",
            "last_error_at",
        )

    def get_has_password(self, obj: OdooConnection) -> bool:
        return bool(obj.password)

    def get_has_api_key(self, obj: OdooConnection) -> bool:
        return bool(obj.api_key)

    def get_has_push_token(self, obj: OdooConnection) -> bool:
        return bool(obj.push_token_hash)

    def get_nudge_url(self, obj: OdooConnection) -> str:
        return nudge_url(obj)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        current = self.instance
        password = attrs.get("password", current.password if current else "")
        api_key = attrs.get("api_key", current.api_key if current else "")
        if not (password or api_key):
            raise serializers.ValidationError({"password": "Give a password or an API key."})
        protocol = attrs.get("protocol", current.protocol if current else "auto")
        if protocol == "json2" and not api_key:
            raise serializers.ValidationError({"protocol": "JSON-2 needs an API key."})
        return attrs

    def _apply(self, instance: OdooConnection, attrs: dict[str, Any]) -> None:
        token = attrs.pop("push_token", None)
        if token:
            instance.push_token_hash = token_hash(token)
        if {"url", "database", "username", "password", "api_key", "protocol"} & attrs.keys():
            # log in again and re-detect the version and transport on next use
            instance.uid, instance.version, instance.transport = None, "", ""
        for name, value in attrs.items():
            setattr(instance, name, value)

    def create(self, validated_data: dict[str, Any]) -> OdooConnection:
        instance = OdooConnection()
        self._apply(instance, validated_data)
        instance.save()
        return instance

    def update(self, instance: OdooConnection, validated_data: dict[str, Any]) -> OdooConnection:
        self._apply(instance, validated_data)
        instance.save()
        return instance


class ModelHookSerializer(serializers.ModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=STANDARD_EVENTS),
        required=False,
        help_text="Codes watched (create, write, unlink); empty = all three.",
    )
    tracked_fields = serializers.ListField(
        child=serializers.RegexField(r"^[A-Za-z_][A-Za-z0-9_]*$"),
        required=False,
        help_text="Top-level field names; empty = every stored field.",
    )
    problems = serializers.SerializerMethodField(
        help_text="Read-only: fields this hook names that Odoo no longer has (schema drift)."
    )

    class Meta:
        model = ModelHook
        fields = (
            "id",
            "connection",
            "model",
            "events",
            "domain",
            "tracked_fields",
            "echo_suppression",
            "active",
            "cursor",
            "baseline_done",
            "last_poll_at",
            "last_result",
            "last_error",
            "problems",
        )
        read_only_fields = ("cursor", "baseline_done", "last_poll_at", "last_result", "last_error")

    def get_problems(self, hook: ModelHook) -> list[str]:
        return hook_problems(hook)

    def validate_domain(self, value: str) -> str:
        try:
            parse_domain(value)
        except DomainError as exc:
            raise serializers.ValidationError(f"Invalid domain: {exc}") from exc
        return value

    def validate_events(self, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class ChangeAction(ModelPermissions):
    """Test, poll, backfill and a new push token change state (stored version, snapshots, events,
    token): they need `change` on the object's model, not the `add` a plain POST would need."""

    perms_map = {**ModelPermissions.perms_map, "POST": ["%(app_label)s.change_%(model_name)s"]}


class PreviewAction(ModelPermissions):
    """Preview sends and records nothing: `view` on hooks and on rules (it shows the rule's
    request)."""

    perms_map = {
        **ModelPermissions.perms_map,
        "POST": ["%(app_label)s.view_%(model_name)s", "rules.view_webhookrule"],
    }


class PreviewRequest(serializers.Serializer):
    rule = serializers.IntegerField(help_text="Rule id (a rule for the hook's model).")
    record_id = serializers.IntegerField(min_value=1)
    event = serializers.ChoiceField(choices=STANDARD_EVENTS, default="write")


class OdooConnectionViewSet(viewsets.ModelViewSet):
    queryset = OdooConnection.objects.order_by("name")
    serializer_class = OdooConnectionSerializer
    filterset_fields = ("active", "name")
    ordering_fields = ("id", "name", "last_poll_at")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        conn = serializer.save()
        data = dict(serializer.data)
        if not conn.push_token_hash:
            data["push_token"] = state.issue_push_token(connection_id=conn.pk)  # shown once
            data["has_push_token"] = True
            conn.refresh_from_db(fields=["push_token_hash"])
            data["nudge_url"] = nudge_url(conn)  # derived from the push token just issued
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={
            200: inline_serializer(
                "ConnectionTest",
                {
                    "ok": serializers.BooleanField(),
                    "version": serializers.CharField(),
                    "uid": serializers.IntegerField(allow_null=True),
                    "transport": serializers.CharField(),
                    "error": serializers.CharField(),
                },
            )
        },
    )
    @action(detail=True, methods=["post"], permission_classes=[ChangeAction])
    def test(self, request: Request, pk: str | None = None) -> Response:
        """Log in: the server version and uid, or the error."""
        probe = state.probe_connection(connection_id=self.get_object().pk)
        return Response(
            {
                "ok": probe.ok,
                "version": probe.version,
                "uid": probe.uid,
                "transport": probe.transport,
                "error": probe.error,
            }
        )

    @extend_schema(request=None, responses={202: Queued})
    @action(detail=True, methods=["post"], permission_classes=[ChangeAction])
    def poll(self, request: Request, pk: str | None = None) -> Response:
        """Queue a poll of every active hook of the connection."""
        return _queued(queue.poll_connection(self.get_object().pk))

    @extend_schema(
        request=None,
        responses={200: inline_serializer("NewPushToken", {"push_token": serializers.CharField()})},
    )
    @action(detail=True, methods=["post"], url_path="push-token", permission_classes=[ChangeAction])
    def push_token(self, request: Request, pk: str | None = None) -> Response:
        """Replace the push token; the new one is returned once."""
        return Response({"push_token": state.issue_push_token(connection_id=self.get_object().pk)})


class ModelHookViewSet(viewsets.ModelViewSet):
    queryset = ModelHook.objects.select_related("connection").order_by("connection__name", "model")
    serializer_class = ModelHookSerializer
    filterset_fields = ("connection", "model", "active")
    ordering_fields = ("id", "model", "last_poll_at")

    @extend_schema(request=None, responses={202: Queued})
    @action(detail=True, methods=["post"], permission_classes=[ChangeAction])
    def poll(self, request: Request, pk: str | None = None) -> Response:
        """Queue a poll of this hook (deletions are looked for too)."""
        return _queued(queue.poll_hooks([self.get_object().pk]))

    @extend_schema(request=None, responses={202: Queued})
    @action(detail=True, methods=["post"], permission_classes=[ChangeAction])
    def backfill(self, request: Request, pk: str | None = None) -> Response:
        """Queue a backfill: a create event for every record matching the hook."""
        return _queued(queue.backfill_hooks([self.get_object().pk]))

    @extend_schema(
        request=PreviewRequest,
        responses={
            200: inline_serializer(
                "PayloadPreview",
                {
                    "method": serializers.CharField(),
                    "url": serializers.CharField(),
                    "headers": serializers.DictField(),
                    "body": serializers.CharField(),
                    "event": serializers.DictField(),
                },
            )
        },
    )
    @action(detail=True, methods=["post"], permission_classes=[PreviewAction])
    def preview(self, request: Request, pk: str | None = None) -> Response:
        """What a rule would send for one record (read from Odoo now); nothing is sent."""
        from rules.models import WebhookRule

        hook = self.get_object()
        params = PreviewRequest(data=request.data)
        params.is_valid(raise_exception=True)
        rule = WebhookRule.objects.filter(pk=params.validated_data["rule"]).first()
        if rule is None:
            raise serializers.ValidationError({"rule": "No such rule."})
        try:
            result = preview_record(
                hook=hook,
                rule=rule,
                record_id=params.validated_data["record_id"],
                event_code=params.validated_data["event"],
            )
        except PreviewError as exc:
            raise serializers.ValidationError({"detail": str(exc)}) from exc
        except OdooError as exc:
            return Response(
                {"detail": state.describe_error(exc)}, status=status.HTTP_502_BAD_GATEWAY
            )
        except ValueError as exc:  # the payload cannot be built (a transform failed)
            raise serializers.ValidationError({"detail": str(exc)}) from exc
        return Response(result)


class EventHistorySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="event_id", read_only=True)
    event = serializers.CharField(source="event_code")
    type = serializers.CharField()

    class Meta:
        model = EventHistory
        fields = (
            "id",
            "occurred_at",
            "source",
            "connection",
            "model",
            "record_id",
            "event",
            "type",
            "user",
            "data",
            "changes",
            "rules_triggered",
            "success_count",
            "failure_count",
            "created_at",
        )
        read_only_fields = fields


class EventHistoryFilter(django_filters.FilterSet):
    event = django_filters.CharFilter(field_name="event_code")
    date = django_filters.DateFilter(field_name="occurred_at", lookup_expr="date")
    occurred_after = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = EventHistory
        fields = (
            "model",
            "event",
            "source",
            "connection",
            "record_id",
            "date",
            "occurred_after",
            "occurred_before",
        )


class EventHistoryViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = EventHistory.objects.order_by("-occurred_at", "-id")
    serializer_class = EventHistorySerializer
    filterset_class = EventHistoryFilter
    ordering_fields = ("occurred_at", "id")
    lookup_field = "event_id"


router.register("connections", OdooConnectionViewSet, basename="connection")
router.register("hooks", ModelHookViewSet, basename="hook")
router.register("history", EventHistoryViewSet, basename="history")
