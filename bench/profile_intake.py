"""Where an accepted inbound request and an emit spend their time: queries and a cProfile.

``python -m bench.profile_intake [inbound|emit|bare] [N]`` runs N requests through Django's
test client (the full middleware stack) on the database of DATABASE_URL (migrated), with the
configured broker (its queue is emptied afterwards), and prints the SQL of one request and the
top functions by cumulative and own CPU time.
Settings: ``bench.serve_settings`` unless DJANGO_SETTINGS_MODULE says otherwise.
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any


def _requests(kind: str) -> tuple[str, Callable[[int], dict[str, Any]]]:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token
    from standardwebhooks import Webhook

    from hub.crypto import generate_signing_secret
    from inbound.models import InboundSource
    from rules.models import WebhookEvent, WebhookRule

    if kind == "bare":
        return "/bench/bare/", lambda i: ({"data": b"{}", "content_type": "application/json"})
    if kind == "emit":
        user, _ = get_user_model().objects.get_or_create(username="profile", is_staff=True)
        token, _ = Token.objects.get_or_create(user=user)
        # One async rule matching the emitted event, as in bench/serve_seed.py: the real path.
        rule, created = WebhookRule.objects.get_or_create(
            name="profile", defaults={"model": "bench.order", "url": "http://127.0.0.1:9/hook"}
        )
        if created:
            rule.events.set(WebhookEvent.objects.filter(code="create"))

        def emit(i: int) -> dict:
            body = {"model": "bench.order", "event": "create", "record_id": i, "data": {"id": i}}
            return {
                "data": json.dumps(body),
                "content_type": "application/json",
                "headers": {"Authorization": f"Token {token.key}"},
            }

        return "/api/emit/", emit
    secret = generate_signing_secret()
    source = InboundSource.objects.create(name="profile", verification="standard", secret=secret)
    hook = Webhook(secret)
    body = json.dumps({"type": "order.paid", "order": {"id": 17}})

    def inbound(i: int) -> dict:
        now = datetime.now(tz=UTC)
        msg_id = f"msg_{uuid.uuid4().hex}"
        return {
            "data": body,
            "content_type": "application/json",
            "headers": {
                "webhook-id": msg_id,
                "webhook-timestamp": str(int(now.timestamp())),
                "webhook-signature": hook.sign(msg_id, now, body),
            },
        }

    return source.path, inbound


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.serve_settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_q.conf import Conf

    kind = sys.argv[1] if len(sys.argv) > 1 else "inbound"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    url, build = _requests(kind)
    client = Client(SERVER_NAME="127.0.0.1")
    for i in range(20):  # warm-up: imports, connection, caches
        client.post(url, **build(i))
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(url, **build(10**6 + os.getpid()))
    print(f"{kind}: {response.status_code}, {len(ctx.captured_queries)} queries")
    for q in ctx.captured_queries:
        print(f"  {q['time']}s  {q['sql'][:160]}")
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    for i in range(n):
        client.post(url, **build(i + 1000))
    profile.disable()
    stats = pstats.Stats(profile)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)
    if not Conf.SYNC:
        # No worker runs here: leave no tasks behind for a cluster that shares the broker
        # (after the hand-off thread has queued the last ids it holds).
        from django_q.brokers import get_broker

        from inbound.handoff import handoff

        handoff.flush(timeout=5)
        get_broker().purge_queue()
    return 0


if __name__ == "__main__":
    sys.exit(main())
