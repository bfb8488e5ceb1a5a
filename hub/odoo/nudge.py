"""Nudge URL: Odoo's "Send Webhook Notification" tells the hub which record changed.

``POST /odoo/nudge/<token>/`` with Odoo's JSON body (``_model``, ``_id``, ``_action`` and any
fields chosen in the action). The body only names the record: the hub reads it from Odoo at
once and emits through the poll path of the hook watching that model (snapshot diff, events,
deliveries), never from the body. Odoo sends the request from inside the transaction that made
the change, before it commits, so the read may still see the old record (or none, for a
create): the connection's next poll is then brought forward by ``NUDGE_FOLLOW_UP`` and the long
running poller (``manage.py poll_odoo``) picks the change up as soon as it is committed.

The token is derived from the connection and its push token with the hub's secret key (HMAC):
no extra secret to store, and "Generate a new push token" revokes the old nudge URL too.
"""

from __future__ import annotations

import hmac
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from hub.models import ModelHook, OdooConnection
from hub.odoo import state
from hub.odoo.client import OdooClient, OdooError
from hub.odoo.poller import (
    ACTIVE_TEST_OFF,
    PollResult,
    commit_page,
    load_snaps,
    plan_for,
    resolve,
    to_odoo,
    unchanged,
)
from rules.domain import parse_domain

logger = logging.getLogger(__name__)
SALT = "hub.odoo.nudge"
# Odoo commits right after its webhook call returns: a follow-up poll this much later reads
# the committed change when the nudge's own read was too early.
NUDGE_FOLLOW_UP = timedelta(seconds=0.3)
MAX_BYTES = 64 * 1024  # _model, _id, _action and a few fields: far below this


# --- the token ---------------------------------------------------------------------------------
def _signature(pk: int, push_token_hash: str) -> str:
    return salted_hmac(SALT, f"{pk}:{push_token_hash}", algorithm="sha256").hexdigest()[:40]


def nudge_token(conn: OdooConnection) -> str:
    return f"{conn.pk}-{_signature(conn.pk, conn.push_token_hash)}"


def nudge_url(conn: OdooConnection) -> str:
    if conn.pk is None:
        return ""
    return f"{settings.HUB_PUBLIC_URL.rstrip('/')}/odoo/nudge/{nudge_token(conn)}/"


def connection_for(token: str) -> OdooConnection | None:
    """The active connection this token belongs to; the signature is compared in constant
    time (a wrong id costs the same comparison)."""
    pk_text, _, signature = token.partition("-")
    pk = int(pk_text) if pk_text.isdigit() and len(pk_text) < 12 else 0
    conn = OdooConnection.objects.filter(pk=pk, active=True).first() if pk else None
    expected = _signature(pk, conn.push_token_hash if conn else "")
    matches = hmac.compare_digest(expected.encode(), signature.encode())
    return conn if conn is not None and matches else None


# --- the service -------------------------------------------------------------------------------
class NudgeRefused(Exception):
    """A nudge that names nothing the hub can read: a 4xx, nothing recorded."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass
class NudgeResult:
    status: str  # "read" (the record was read and compared) or "queued" (a poll will)
    events: list[str] = field(default_factory=list)


def bring_poll_forward(conn: OdooConnection) -> None:
    """The connection's next poll within NUDGE_FOLLOW_UP (never later than planned, and not
    while it backs off from Odoo errors: a nudge must not hammer a failing Odoo)."""
    when = timezone.now() + NUDGE_FOLLOW_UP
    OdooConnection.objects.filter(pk=conn.pk, consecutive_failures=0).filter(
        Q(next_poll_at__isnull=True) | Q(next_poll_at__gt=when)
    ).update(next_poll_at=when)


def nudge(*, conn: OdooConnection, model: str, record_id: int) -> NudgeResult:
    """Read one record at once and emit what changed, through the hook's poll path."""
    hook = (
        ModelHook.objects.filter(connection=conn, model=model, active=True)
        .select_related("connection")
        .first()
    )
    if hook is None:
        raise NudgeRefused(404, f"no active hook watches {model!r} on this connection")
    if not hook.baseline_done:
        bring_poll_forward(conn)  # the first poll takes the baseline
        return NudgeResult(status="queued")
    token = state.acquire(hook.pk)
    if token is None:
        bring_poll_forward(conn)  # a poll of this hook is running: it or the next one reads it
        return NudgeResult(status="queued")
    try:
        with OdooClient.for_connection(conn) as client:
            result = _read_and_emit(hook, client, record_id, token)
        token = result.token
    except state.LeaseLost:
        bring_poll_forward(conn)
        return NudgeResult(status="queued")
    finally:
        state.release(hook.pk, token)
    if not result.events:
        bring_poll_forward(conn)  # maybe read before Odoo committed: read again shortly
    if result.missing:
        raise NudgeRefused(404, f"{model} {record_id} not found in Odoo")
    return NudgeResult(status="read", events=result.events)


@dataclass
class _Read:
    token: datetime
    events: list[str] = field(default_factory=list)
    missing: bool = False


def _read_and_emit(hook: ModelHook, client: OdooClient, record_id: int, token: datetime) -> _Read:
    own_uid = client.uid or client.authenticate()
    plan = plan_for(hook, client)
    domain = [("id", "=", record_id), *parse_domain(hook.domain)]
    rows = client.search_read(hook.model, domain, plan.fields, context=ACTIVE_TEST_OFF)
    if not rows:
        exists = client.search_count(hook.model, [("id", "=", record_id)], context=ACTIVE_TEST_OFF)
        return _Read(token=token, missing=not exists)
    snaps = load_snaps(hook, [record_id])
    fresh = [r for r in rows if r["id"] not in snaps or not unchanged(snaps[r["id"]], r)]
    resolve(client, hook, plan, fresh)
    outcome = PollResult(hook_id=hook.pk)
    recorded: list[str] = []
    token = commit_page(
        hook,
        token,
        fresh,
        snaps=snaps,
        plan=plan,
        own_uid=own_uid,
        baseline=False,
        window_start=to_odoo(hook.cursor - _overlap()) if hook.cursor else None,
        cursor=None,  # one record read out of order: the window's cursor stays where it is
        result=outcome,
        recorded=recorded,
    )
    return _Read(token=token, events=recorded)


def _overlap() -> timedelta:
    return timedelta(seconds=settings.HUB_ODOO_POLL_OVERLAP)


# --- the view ----------------------------------------------------------------------------------
def _parse(request: HttpRequest) -> tuple[str, int]:
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or int(declared) > MAX_BYTES:
        raise NudgeRefused(413, f"body over {MAX_BYTES} bytes")
    raw = request.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise NudgeRefused(413, f"body over {MAX_BYTES} bytes")
    try:
        body = json.loads(raw or b"null")
    except ValueError:
        raise NudgeRefused(400, "the body is not JSON") from None
    if not isinstance(body, dict):
        raise NudgeRefused(400, 'the body must be a JSON object with "_model" and "_id"')
    model, rid = body.get("_model"), body.get("_id")
    if not isinstance(model, str) or not model or len(model) > 128:
        raise NudgeRefused(400, '"_model" must be a model name such as "res.partner"')
    if isinstance(rid, bool) or not isinstance(rid, int) or not 0 < rid < 2**63:
        raise NudgeRefused(400, '"_id" must be a positive integer record id')
    return model, rid


@csrf_exempt
@require_POST
def endpoint(request: HttpRequest, token: str) -> JsonResponse:
    conn = connection_for(token)
    if conn is None:
        return JsonResponse({"error": "unknown nudge URL"}, status=404)
    try:
        model, rid = _parse(request)
        result = nudge(conn=conn, model=model, record_id=rid)
    except NudgeRefused as exc:
        return JsonResponse({"error": exc.message}, status=exc.status)
    except OdooError as exc:
        bring_poll_forward(conn)
        return JsonResponse({"error": state.describe_error(exc)}, status=503)
    status = 200 if result.status == "read" else 202
    return JsonResponse({"status": result.status, "events": result.events}, status=status)
