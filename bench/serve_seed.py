"""Run by bench/bench_serve.py against its throw-away database: seed it, or clean up after.

``python -m bench.serve_seed seed`` prints the JSON the bench needs (source path and secret,
API token); ``python -m bench.serve_seed purge`` empties the django-q2 queue (Redis broker).
"""

from __future__ import annotations

import json
import os
import sys


def seed() -> dict[str, str]:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from hub.crypto import generate_signing_secret
    from inbound.models import InboundSource
    from rules.models import WebhookEvent, WebhookRule

    secret = generate_signing_secret()
    source = InboundSource.objects.create(
        name="bench", verification="standard", secret=secret, handler="store"
    )
    user = get_user_model().objects.create_user("bench", is_staff=True)
    token = Token.objects.create(user=user)
    # One async rule matching the emitted event: an emit records the event and one pending
    # delivery and queues it, as it would in production (no worker runs, nothing is sent).
    rule = WebhookRule.objects.create(
        name="bench", model="bench.order", url="http://127.0.0.1:9/hook", active=True
    )
    rule.events.set(WebhookEvent.objects.filter(code="create"))
    return {"path": source.path, "secret": secret, "token": token.key}


def purge() -> None:
    from django_q.brokers import get_broker

    get_broker().purge_queue()


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.serve_settings")
    import django

    django.setup()
    if sys.argv[1:] == ["seed"]:
        print(json.dumps(seed()))
    elif sys.argv[1:] == ["purge"]:
        purge()
    else:
        print("usage: python -m bench.serve_seed seed|purge", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
