"""Bulk demo/benchmark data: back-dated WebhookLog (and IncomingWebhook) rows, created in chunks."""

from __future__ import annotations

import io
import json
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from delivery.models import LogStatus, WebhookLog
from inbound.models import InboundSource, IncomingWebhook, ProcessingState, VerificationStatus
from rules.models import WebhookRule

MODELS = ("sale.order", "res.partner", "account.move", "stock.picking", "product.product")
EVENTS = ("create", "write", "write", "write", "unlink")  # writes dominate real traffic
FAILURES = ((500, "HTTP 500"), (503, "HTTP 503"), (404, "HTTP 404"), (None, "timeout after 15 s"))
INBOUND_STATES = (
    (ProcessingState.DONE, 90),
    (ProcessingState.FAILED, 4),
    (ProcessingState.REJECTED, 3),
    (ProcessingState.DUPLICATE, 3),
)


@contextmanager
def backdating(model: type[models.Model], field_name: str) -> Iterator[None]:
    """Let bulk_create keep explicit values of an auto_now_add field (seeding only)."""
    field = model._meta.get_field(field_name)
    assert isinstance(field, models.DateField), f"{field_name} is not a date field"
    field.auto_now_add = False
    try:
        yield
    finally:
        field.auto_now_add = True


def seed_rules(*, count: int) -> list[WebhookRule]:
    """`count` rules named "Seed rule N" (reused when they exist), over several models and urls."""
    rules = []
    for index in range(count):
        model = MODELS[index % len(MODELS)]
        rule, _ = WebhookRule.objects.get_or_create(
            name=f"Seed rule {index + 1}",
            defaults={"model": model, "url": f"https://hooks{index + 1}.example.com/odoo/{model}"},
        )
        rules.append(rule)
    return rules


# Per row only these columns vary; every other column gets its model default.
_VARYING = (
    "delivery_id", "rule_id", "rule_name", "model", "record_id", "event_code", "url",
    "response_status", "duration_ms", "status", "error", "created_at",
)  # fmt: skip


def _log_values(
    rand: Callable[[], float], rule: tuple[int, str, str, str], created_at: datetime, serial: str
) -> tuple[Any, ...]:
    """One row's varying columns; `rand()` only (randint/choice cost ~3x more per call)."""
    pk, name, model, url = rule
    roll = rand()
    if roll < 0.02:
        status, response, error, duration = LogStatus.TEST.value, None, "", None
    elif roll < 0.10 + 0.15 * (pk % 3 == 0):  # some rules fail more than others
        response, error = FAILURES[int(rand() * len(FAILURES))]
        status, duration = LogStatus.FAILED.value, 50 + int(rand() * 15000)
    else:
        status, response, error, duration = LogStatus.SUCCESS.value, 200, "", 20 + int(rand() * 880)
    record_id, event = 1 + int(rand() * 5000), EVENTS[int(rand() * len(EVENTS))]
    return (
        serial, pk, name, model, record_id, event, url, response, duration, status, error,
        created_at,
    )  # fmt: skip


def _datetime_adapter(sample: datetime) -> Callable[[datetime], Any]:
    """Django's datetime adaptation, or (SQLite, UTC values) a 5x cheaper equivalent of it."""
    adapt = connection.ops.adapt_datetimefield_value

    def fast(value: datetime) -> str:
        return str(value.replace(tzinfo=None))

    same = connection.vendor == "sqlite" and sample.utcoffset() == timedelta(0)
    return fast if same and fast(sample) == adapt(sample) else adapt


def _copy_field(value: Any) -> str:
    """One field of COPY ... (FORMAT csv): unquoted empty is NULL, so text is always quoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "adapted"):  # psycopg2's Json wrapper of a JSONField value
        value = json.dumps(value.adapted)
    return '"' + str(value).replace('"', '""') + '"'


class _Inserter:
    """Many WebhookLog rows at once: executemany on SQLite (one prepared statement stepped per
    row), COPY on PostgreSQL (its executemany is one round trip per row). bulk_create was
    measured ~8x slower: it compiles every value in Python and, on SQLite, splits the rows
    into statements of ~45."""

    def __init__(self) -> None:
        fields = [f for f in WebhookLog._meta.concrete_fields if not f.primary_key]
        by_attname = {f.attname: f for f in fields}
        # Every column the delivery app may add later gets its model default, so this keeps
        # working as the model grows.
        self.varying = [by_attname[name] for name in _VARYING]
        self.constant = [f for f in fields if f.attname not in _VARYING]
        self.constant_values = tuple(
            f.get_db_prep_save(f.get_default(), connection) for f in self.constant
        )
        columns = [*self.varying, *self.constant]
        self.columns = ", ".join(connection.ops.quote_name(f.column) for f in columns)
        self.table = connection.ops.quote_name(WebhookLog._meta.db_table)

    def insert(self, rows: list[tuple[Any, ...]]) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                constant = "".join("," + _copy_field(v) for v in self.constant_values)
                text = "".join(",".join(map(_copy_field, row)) + constant + "\n" for row in rows)
                sql = f"COPY {self.table} ({self.columns}) FROM STDIN WITH (FORMAT csv)"
                cursor.cursor.copy_expert(sql, io.StringIO(text))
            else:
                adapt = _datetime_adapter(rows[0][-1])
                values = [(*row[:-1], adapt(row[-1]), *self.constant_values) for row in rows]
                marks = ", ".join(["%s"] * len(values[0]))
                sql = f"INSERT INTO {self.table} ({self.columns}) VALUES ({marks})"  # noqa: S608
                cursor.executemany(sql, values)

    def analyze(self) -> None:
        """Fresh planner statistics after a bulk load (PostgreSQL would pick poor plans)."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {self.table}")


def seed_logs(
    *,
    count: int,
    days: int = 90,
    rules: int = 5,
    batch_size: int = 5000,
    now: datetime | None = None,
    seed: int = 1,
) -> int:
    """Create `count` log rows spread evenly over the last `days` days, in chunks."""
    now = now or timezone.now()
    rand = random.Random(seed).random
    rule_rows = [(r.pk, r.name, r.model, r.url) for r in seed_rules(count=rules)]
    inserter = _Inserter()
    # Evenly spread with jitter, oldest first: the way logs arrive, and index inserts append.
    step = days * 86400 / count if count else 0
    first = now - timedelta(days=days)
    in_flight = now - timedelta(minutes=10)
    prefix = f"msg_seed{seed}_{int(now.timestamp())}_"
    created = 0
    while created < count:
        size = min(batch_size, count - created)
        rows = []
        for n in range(created, created + size):
            created_at = first + timedelta(seconds=(n + rand()) * step)
            row = _log_values(
                rand, rule_rows[int(rand() * len(rule_rows))], created_at, f"{prefix}{n}"
            )
            if created_at > in_flight and rand() < 0.3:  # the last minutes: some still pending
                row = (*row[:7], None, None, LogStatus.PENDING.value, "", created_at)
            rows.append(row)
        inserter.insert(rows)
        created += size
    inserter.analyze()
    return created


def seed_inbound(*, count: int, days: int = 90, now: datetime | None = None, seed: int = 2) -> int:
    """Create `count` inbound requests on a "Seed source", spread over the last `days` days."""
    now = now or timezone.now()
    rng = random.Random(seed)
    source, _ = InboundSource.objects.get_or_create(
        slug="seed-source", defaults={"name": "Seed source", "verification": "none"}
    )
    states = [state for state, _ in INBOUND_STATES]
    weights = [weight for _, weight in INBOUND_STATES]
    rows = []
    for _ in range(count):
        state = rng.choices(states, weights)[0]
        verification = (
            VerificationStatus.FAILED
            if state == ProcessingState.REJECTED
            else VerificationStatus.NOT_REQUIRED
        )
        rows.append(
            IncomingWebhook(
                source=source,
                received_at=now - timedelta(seconds=rng.random() * days * 86400),
                headers={},
                body="{}",
                verification_status=verification,
                state=state,
            )
        )
    with backdating(IncomingWebhook, "received_at"), transaction.atomic():
        IncomingWebhook.objects.bulk_create(rows, batch_size=2000)
    return count
