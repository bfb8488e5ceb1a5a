"""The process-wide rule set (rules.ruleset): every change to rules, events, payload fields or a
rule's event list is honoured at the next event, however it was made and by whichever process."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, connections, transaction

from rules.matching import matching_rules, needed_paths
from rules.models import PayloadField, RulesVersion, WebhookEvent, WebhookRule
from rules.ruleset import active_rules
from tests import factories

pytestmark = pytest.mark.django_db


def make_rule(name: str = "r", **kwargs: Any) -> WebhookRule:
    return factories.make_rule(name, **{"model": "sale.order", **kwargs})


def match(event_code: str = "write", **data: Any) -> list[WebhookRule]:
    return matching_rules(
        model="sale.order",
        event_code=event_code,
        connection_id=None,
        data={"state": "sale", **data},
        changes=None,
    )


def test_an_unchanged_rule_set_costs_one_query(django_assert_num_queries: Any) -> None:
    make_rule()
    first = active_rules()
    with django_assert_num_queries(1):
        assert active_rules() is first


def test_a_new_rule_is_matched_at_once() -> None:
    first = make_rule("first")
    assert match() == [first]
    second = make_rule("second")
    assert match() == [first, second]


def test_an_edited_condition_is_honoured_at_once() -> None:
    rule = make_rule(condition="[('state', '=', 'sale')]")
    assert match() == [rule]
    rule.condition = "[('state', '=', 'done')]"
    rule.save()
    assert match() == []


def test_a_rule_deactivated_by_a_queryset_update_stops_matching() -> None:
    rule = make_rule()
    assert match() == [rule]
    WebhookRule.objects.filter(pk=rule.pk).update(active=False)  # as a 410 does: no signal
    assert match() == []


def test_a_deleted_rule_stops_matching() -> None:
    rule = make_rule()
    assert match() == [rule]
    rule.delete()
    assert match() == []


def test_a_changed_event_list_is_honoured() -> None:
    rule = make_rule(events=("write",))
    assert match() == [rule]
    rule.events.set([WebhookEvent.objects.get_or_create(code="create")[0]])
    assert match() == []
    assert match("create") == [rule]


def test_a_deactivated_event_stops_matching_and_leaves_the_active_codes() -> None:
    rule = make_rule(events=("write",))
    assert match() == [rule]
    assert "write" in active_rules().event_codes
    WebhookEvent.objects.filter(code="write").update(active=False)
    assert match() == []
    assert "write" not in active_rules().event_codes


def test_payload_fields_added_in_bulk_are_read() -> None:
    rule = make_rule()
    assert needed_paths(model="sale.order", connection_id=None) == {"*"}
    PayloadField.objects.bulk_create([PayloadField(rule=rule, source_path="state")])
    assert needed_paths(model="sale.order", connection_id=None) == {"state"}
    [found] = match()
    assert [f.source_path for f in found.payload_fields.all()] == ["state"]


def test_a_rolled_back_change_is_not_kept() -> None:
    assert match() == []
    with pytest.raises(RuntimeError), transaction.atomic():
        rule = make_rule()
        assert match() == [rule]  # seen inside its own transaction, and cached there
        raise RuntimeError("roll back")
    assert match() == []


def test_without_a_version_row_nothing_is_cached_and_a_change_restores_it(
    django_assert_num_queries: Any,
) -> None:
    RulesVersion.objects.all().delete()  # as a test database flush does
    rule = make_rule()  # the triggers write the row again
    assert RulesVersion.objects.exists()
    RulesVersion.objects.all().delete()
    with django_assert_num_queries(5):  # the token (none) and the four loading queries
        assert match() == [rule]
    with django_assert_num_queries(5):
        assert match() == [rule]


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_by_another_connection_is_seen_at_the_next_event() -> None:
    rule = make_rule()
    assert match() == [rule]
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:  # another process: raw SQL, committed on its own
            table = connection.ops.quote_name(WebhookRule._meta.db_table)
            cursor.execute(f"UPDATE {table} SET active = %s WHERE id = %s", [False, rule.pk])  # noqa: S608
            if not other.get_autocommit():
                other.commit()
    finally:
        other.close()
    assert match() == []


def test_emit_honours_rule_and_event_changes_between_two_calls(api: Any) -> None:
    body = {"model": "sale.order", "event": "write", "record_id": 1, "data": {"state": "sale"}}

    def emit() -> Any:
        return api.post("/api/emit/", body, format="json")

    assert emit().json()["deliveries"] == 0
    rule = make_rule()
    assert emit().json()["deliveries"] == 1
    WebhookRule.objects.filter(pk=rule.pk).update(active=False)
    assert emit().json()["deliveries"] == 0
    WebhookEvent.objects.filter(code="write").update(active=False)
    assert emit().status_code == 400
