"""Receiving an inbound webhook: find the source, limit, verify, parse, dedupe, store, enqueue.

Everything here runs before the response; handlers run later in django-q2 (inbound.processing).
An accepted request costs one database statement: the source comes from a short per-process
cache (inbound.source_cache), the row is one autocommitted INSERT (hub.lib.insert), and the task
is queued by a background thread (inbound.handoff). docs/inbound.md, "Performance".
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.validators import slug_re
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from hub.crypto import split_secrets
from hub.lib.handoff import handing_off
from hub.lib.insert import insert_row
from hub.lib.json import non_finite_message
from hub.lib.nul import scrub_nul
from inbound import limits, source_cache, tunables
from inbound.capture import TooLarge, body_text, read_limited, storable_headers
from inbound.handoff import handoff
from inbound.idempotency import idempotency_key
from inbound.models import InboundSource, IncomingWebhook, ProcessingState, VerificationStatus
from inbound.queue import enqueue_on_commit
from inbound.schemes import SignedRequest, verify
from inbound.writer import writer


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Received:
    """The parts of an HTTP request the pipeline needs (the view fills it in)."""

    slug: str | None
    method: str
    headers: Mapping[str, str]
    meta: Mapping[str, Any]
    read: Callable[[int], bytes]
    remote_addr: str | None = None
    now: float = field(default_factory=time.time)


def _decode(body: bytes) -> str:
    # JSON may be UTF-8, -16 or -32; store it as the text it is.
    try:
        text = body.decode(json.detect_encoding(body))
    except (UnicodeDecodeError, LookupError):
        text = body.decode("utf-8", errors="replace")
    return scrub_nul(text)


def _store_unaccepted(
    source: InboundSource,
    req: Received,
    *,
    state: str,
    verification: str,
    status: int,
    reason: str = "",
    body: bytes = b"",
    duplicate_of: int | None = None,
) -> IncomingWebhook | None:
    """A rejected or duplicate request, kept for diagnosis within the per-source cap."""
    stored = limits.hit(
        source_id=source.pk, kind=limits.UNACCEPTED, now=req.now, scope=source.slug
    ).count
    if stored > tunables.unaccepted_per_minute():
        return None  # counted in the window, not stored: an attacker cannot fill the disk
    text, cut = body_text(body, tunables.unaccepted_body_bytes())
    return IncomingWebhook.objects.create(
        source=source,
        remote_addr=req.remote_addr,
        headers=storable_headers(req.headers, extra_secret=source.api_key_header),
        body=text,
        body_truncated=cut,
        verification_status=verification,
        state=state,
        response_status=status,
        error=reason,
        duplicate_of_id=duplicate_of,
    )


def _reject(source: InboundSource, req: Received, status: int, reason: str, **kw: Any) -> None:
    kw.setdefault("verification", VerificationStatus.UNCHECKED)
    _store_unaccepted(
        source, req, state=ProcessingState.REJECTED, status=status, reason=reason, **kw
    )


def _queue_accepted(incoming_id: int) -> None:
    if handing_off():
        handoff.submit_on_commit(incoming_id)
    else:
        enqueue_on_commit(incoming_id)


def writing_in_batches() -> bool:
    """Whether accepted rows are stored by inbound.writer's thread: on PostgreSQL (SQLite
    takes one writer at a time anyway), with a broker outside the database (like the hand-off,
    the thread's connection is one more per web process; the tests' sync mode stays inline)."""
    return tunables.batch_writes() and connection.vendor == "postgresql" and handing_off()


def _create_accepted(values: dict[str, Any]) -> int | None:
    """The new row's id, or None when its idempotency key exists (IntegrityError for
    anything else)."""
    if connection.in_atomic_block:
        # Inside a caller's transaction a savepoint keeps it usable after an IntegrityError;
        # the row belongs to that transaction, so no other thread may write it.
        with transaction.atomic():
            return insert_row(IncomingWebhook, values)
    if writing_in_batches():
        # One statement and commit for the rows of every request waiting; this request's
        # row is committed when it returns. A taken key is skipped (None), not an error.
        return writer.insert(values)
    # Autocommit: the INSERT is its own transaction (no BEGIN and COMMIT round trips); a
    # duplicate key fails that statement alone.
    return insert_row(IncomingWebhook, values)


def _insert(
    source: InboundSource, req: Received, body: bytes, key: str | None, verification: str
) -> int | None:
    """Store an accepted request and queue it after commit: its id, or None if its key exists."""
    now = timezone.now()
    try:
        pk = _create_accepted(
            {
                "source_id": source.pk,
                "received_at": now,
                "remote_addr": req.remote_addr,
                "headers": storable_headers(req.headers, extra_secret=source.api_key_header),
                "body": _decode(body),
                "idempotency_key": key,
                # Plain strings (the enum members' values): no per-field conversion needed.
                "verification_status": str(verification),
                "state": ProcessingState.RECEIVED.value,
                "response_status": 202,
                "enqueued_at": now,
            }
        )
    except IntegrityError:
        if key is None:
            raise
        return None
    if pk is None:
        return None
    _queue_accepted(pk)
    return pk


def _accept(
    source: InboundSource, req: Received, body: bytes, key: str | None, verification: str
) -> Answer:
    # The unique (source, idempotency_key) constraint decides between concurrent copies, never
    # a read-then-write. Twice: the first copy may vanish (rolled back) between insert and read.
    for _ in range(2):
        pk = _insert(source, req, body, key, verification)
        if pk is not None:
            return Answer(202, {"id": str(pk), "status": "accepted"})
        first = (
            IncomingWebhook.objects.filter(source=source, idempotency_key=key)
            .values_list("pk", flat=True)
            .first()
        )
        if first is not None:
            _store_unaccepted(
                source,
                req,
                state=ProcessingState.DUPLICATE,
                verification=verification,
                status=200,
                body=body,
                reason=f"duplicate of #{first}",
                duplicate_of=first,
            )
            return Answer(200, {"id": str(first), "status": "duplicate"})
    raise IntegrityError(f"could not store a request with idempotency key {key!r}")


def find_source(slug: str | None, *, now: float) -> InboundSource | None:
    # Checked against the slug alphabet before any query: a NUL (?source=%00) or other odd
    # characters never reach the database (PostgreSQL refuses NUL in a string literal).
    if not slug or len(slug) > 100 or not slug_re.match(slug):
        return None
    return source_cache.source_by_slug(slug, now=now)


def receive(req: Received) -> Answer:
    source = find_source(req.slug, now=req.now)
    if source is None:
        return Answer(404, {"error": "unknown source"})
    if not source.active:
        _reject(source, req, 404, "the source is inactive")
        return Answer(404, {"error": "unknown source"})
    if req.method != "POST":
        _reject(source, req, 405, f"method {req.method} is not allowed")
        return Answer(405, {"error": "method not allowed"}, {"Allow": "POST"})
    if source.rate_limit_per_minute:
        seen = limits.hit(source_id=source.pk, kind=limits.RATE, now=req.now, scope=source.slug)
        if seen.count > source.rate_limit_per_minute:
            _reject(source, req, 429, f"over {source.rate_limit_per_minute} requests/minute")
            return Answer(429, {"error": "rate limited"}, {"Retry-After": str(seen.retry_after)})
    try:
        body = read_limited(req.meta, req.read, tunables.max_bytes())
    except TooLarge as exc:
        _reject(source, req, 413, str(exc))
        return Answer(413, {"error": "payload too large"})
    verdict = verify(
        source.verification,
        SignedRequest(
            body=body,
            headers=req.headers,
            secrets=split_secrets(source.secret or ""),
            now=int(req.now),
            tolerance=source.tolerance_seconds,
            api_key_header=source.api_key_header,
        ),
    )
    if not verdict.ok:
        _reject(source, req, 401, verdict.reason, verification=VerificationStatus.FAILED, body=body)
        return Answer(401, {"error": "unauthorized"})
    verification = (
        VerificationStatus.VERIFIED if verdict.required else VerificationStatus.NOT_REQUIRED
    )
    try:
        payload = json.loads(body)
        # Python reads NaN/Infinity (and 1e999 as infinity); JSON has no such numbers.
        problem = non_finite_message(payload)
        if problem:
            raise ValueError(problem)
    except (ValueError, RecursionError) as exc:
        _reject(source, req, 400, f"malformed JSON: {exc}", verification=verification, body=body)
        return Answer(400, {"error": "malformed JSON"})
    key = idempotency_key(
        headers=req.headers,
        payload=payload,
        scheme=source.verification,
        path=source.idempotency_path,
    )
    return _accept(source, req, body, key, verification)
