"""Push endpoint: Odoo calls the hub over XML-RPC at /odoo/xmlrpc (docs/contract.md, "Odoo push").

Methods: ``version()``; ``push(token, model, event, records)`` with records
``{"id", "values", "old_values"?, "user_id"?, "user_name"?}``; ``push_ids(token, model, event,
ids)`` (the hub reads the values itself). Both return the new event ids (strings).
Faults: 3 bad token, 2 bad input (also malformed or unsafe XML), 1 internal.
"""

from __future__ import annotations

import base64
import hmac
import inspect
import logging
import re
import xmlrpc.client
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from hub.crypto import token_hash
from hub.events import NewEvent, record_events
from hub.lib.json import non_finite_message
from hub.models import ModelHook, OdooConnection, RecordSnapshot
from hub.odoo import state, wire
from hub.odoo.client import OdooClient, OdooError
from hub.odoo.fields import NOT_DIFFED, build_plan, cached_describe, comparable, diff
from hub.odoo.fields import wire as wire_value
from hub.odoo.poller import plan_for, resolve, user_of

logger = logging.getLogger(__name__)
MAX_RECORDS = 1000
CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,128}$")


class BadInput(Exception):
    code = 2


class BadToken(Exception):
    code = 3


# --- input checks --------------------------------------------------------------------------------
def authenticate(token: Any) -> OdooConnection:
    if not isinstance(token, str) or not token:
        raise BadToken("Access Denied: a push token is required")
    digest = token_hash(token)
    conn = OdooConnection.objects.filter(push_token_hash=digest, active=True).first()
    # The lookup uses an index on the hash; the comparison itself is constant-time.
    if conn is None or not hmac.compare_digest(conn.push_token_hash, digest):
        raise BadToken("Access Denied: unknown or inactive push token")
    return conn


def check_names(model: Any, event: Any) -> None:
    if not isinstance(model, str) or not CODE.match(model):
        raise BadInput("model must be an Odoo model name such as 'res.partner'")
    if not isinstance(event, str) or not CODE.match(event):
        raise BadInput("event must be a code such as 'create', 'write', 'unlink'")


def _record_id(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise BadInput(f"{where}: id must be a positive integer")
    return value


def check_records(records: Any) -> list[dict[str, Any]]:
    if not isinstance(records, list) or not records:
        raise BadInput("records must be a non-empty list of {id, values, old_values?, user_id?}")
    if len(records) > MAX_RECORDS:
        raise BadInput(f"at most {MAX_RECORDS} records per call")
    for n, rec in enumerate(records, start=1):
        if not isinstance(rec, dict):
            raise BadInput(f"record {n}: must be a struct")
        _record_id(rec.get("id"), f"record {n}")
        for key in ("values", "old_values"):
            if not isinstance(rec.get(key, {}), dict):
                raise BadInput(f"record {n}: {key} must be a struct")
        user = rec.get("user_id")
        if user not in (None, False) and (isinstance(user, bool) or not isinstance(user, int)):
            raise BadInput(f"record {n}: user_id must be an integer")
        # XML-RPC doubles may be nan/inf; the event's JSON cannot hold them (PostgreSQL refuses).
        problem = non_finite_message(rec)
        if problem:
            raise BadInput(f"record {n}: {problem}")
    return records


def check_ids(ids: Any) -> list[int]:
    if not isinstance(ids, list) or not ids:
        raise BadInput("ids must be a non-empty list of integers")
    if len(ids) > MAX_RECORDS:
        raise BadInput(f"at most {MAX_RECORDS} ids per call")
    return [_record_id(i, f"id {n}") for n, i in enumerate(ids, start=1)]


# --- services ------------------------------------------------------------------------
def _hook(conn: OdooConnection, model: str) -> ModelHook | None:
    return (
        ModelHook.objects.filter(connection=conn, model=model).select_related("connection").first()
    )


def _apply(
    conn: OdooConnection,
    model: str,
    code: str,
    items: Sequence[tuple[int, dict, dict | None, Any]],
    *,
    tracked: list[str] | None = None,
) -> list[str]:
    """items: (record id, values, old values or None, user). Snapshots give before/after and
    are kept current, so a poller on the same model does not report the change again.
    Without old values, `changes` covers `tracked` (push_ids: the hook's tracked fields), else
    the pushed fields; never write_date and the other bookkeeping fields."""
    hook = _hook(conn, model)
    with transaction.atomic():
        snaps = {}
        if hook is not None:
            snaps = {
                s.record_id: s
                for s in RecordSnapshot.objects.select_for_update().filter(
                    hook=hook, record_id__in=[i[0] for i in items]
                )
            }
        events = []
        for rid, values, old, user in items:
            snap = snaps.get(rid)
            data = {**(snap.values if snap else {}), **values, "id": rid}
            changes = None
            if code == "write" and old is not None:
                changes = {
                    f: {"before": wire_value(b), "after": wire_value(values.get(f, b))}
                    for f, b in old.items()
                    if comparable(values.get(f, b)) != comparable(b)
                }
            elif code == "write" and snap is not None:
                fields = tracked if tracked is not None else list(values)
                changes = diff(snap.values, data, [f for f in fields if f not in NOT_DIFFED])
            events.append(
                NewEvent(
                    model=model,
                    event_code=code,
                    record_id=rid,
                    data=data,
                    changes=changes,
                    user=user,
                    source=conn.name,
                    connection=conn,
                )
            )
            if hook is not None:
                _keep_snapshot(hook, snap, rid, data, code)
        rows = record_events(events)
    return [str(row.event_id) for row in rows]


def _keep_snapshot(
    hook: ModelHook, snap: RecordSnapshot | None, rid: int, data: dict, code: str
) -> None:
    if code == "unlink":
        if snap is not None:
            snap.delete()
    elif snap is not None:
        snap.values, snap.write_date = data, str(data.get("write_date") or snap.write_date)
        snap.save(update_fields=["values", "write_date", "updated_at"])
    elif code in ("create", "write"):
        RecordSnapshot.objects.create(
            hook=hook, record_id=rid, values=data, write_date=str(data.get("write_date") or "")
        )


def jsonable(value: Any) -> Any:
    """XML-RPC dateTime and base64 values as the strings Odoo itself would send."""
    if isinstance(value, xmlrpc.client.DateTime):
        return value.value.replace("T", " ")[:19] if "-" in value.value else str(value)
    if isinstance(value, xmlrpc.client.Binary):
        return base64.b64encode(value.data).decode()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def push(token: Any, model: Any, event: Any, records: Any) -> list[str]:
    conn = authenticate(token)
    check_names(model, event)
    items = []
    for rec in check_records(records):
        values = jsonable(dict(rec.get("values") or {}))
        user_id = rec.get("user_id") or None
        user = user_of(values) or (
            {"id": user_id, "name": rec.get("user_name") or None} if user_id else None
        )
        old = rec.get("old_values")
        items.append((rec["id"], values, jsonable(old) if isinstance(old, dict) else None, user))
    return _apply(conn, model, event, items)


def push_ids(token: Any, model: Any, event: Any, ids: Any) -> list[str]:
    """The hub reads the records (same read plan as the poller): call it after Odoo commits."""
    conn = authenticate(token)
    check_names(model, event)
    ids = check_ids(ids)
    if event == "unlink":
        return _apply(conn, model, event, [(i, {}, None, None) for i in ids])
    hook = _hook(conn, model)
    with OdooClient.for_connection(conn) as client:
        if hook is not None:
            plan = plan_for(hook, client)
        else:
            plan = build_plan(
                model=model, describe=cached_describe(conn.pk, client), tracked=[], needed=[]
            )
        rows = client.read(model, ids, plan.fields)
        if hook is not None:
            resolve(client, hook, plan, rows)
    # Ids Odoo no longer has are skipped (read drops them): only existing records are events.
    items = [(r["id"], r, None, user_of(r)) for r in rows]
    return _apply(conn, model, event, items, tracked=plan.tracked)


def version() -> dict[str, Any]:
    return {
        "server_version": f"webhook-hub {settings.HUB_VERSION}",
        "protocol_version": 1,
        "methods": sorted(METHODS),
    }


METHODS: dict[str, Callable[..., Any]] = {"version": version, "push": push, "push_ids": push_ids}


# --- the view ------------------------------------------------------------------------
def _xml(body: bytes, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")


def _fault(code: int, message: str) -> HttpResponse:
    return _xml(wire.dumps_fault(code, message))


@csrf_exempt
@require_POST
def endpoint(request: HttpRequest) -> HttpResponse:
    limit = int(settings.HUB_INBOUND_MAX_BYTES)
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or int(declared) > limit:
        return HttpResponse(
            f"XML-RPC body over {limit} bytes", status=413, content_type="text/plain"
        )
    try:
        params, method = wire.loads_request(request.read(limit + 1))
    except wire.WireError as exc:
        return _fault(2, f"bad request: {exc}")
    func = METHODS.get(method or "")
    if func is None:
        return _fault(2, f"unknown method {method!r}: use {', '.join(sorted(METHODS))}")
    try:
        inspect.signature(func).bind(*params)
    except TypeError as exc:
        return _fault(2, f"{method}: wrong arguments ({exc})")
    try:
        result = func(*params)
    except (BadInput, BadToken) as exc:
        return _fault(exc.code, str(exc))
    except OdooError as exc:
        return _fault(1, f"cannot read the records from Odoo: {state.describe_error(exc)}")
    except Exception:
        logger.exception("push endpoint: %s failed", method)
        return _fault(1, "internal error in the hub; see its log")
    try:
        return _xml(wire.dumps_response(result))
    except (TypeError, OverflowError, xmlrpc.client.Error):
        logger.exception("push endpoint: cannot marshal the result of %s", method)
        return _fault(1, "internal error in the hub; see its log")
