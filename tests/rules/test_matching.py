"""Matching an event to rules (each criterion) and the record paths the rules need."""

from __future__ import annotations

from typing import Any

import pytest

from hub.models import OdooConnection
from rules.matching import candidate_rules, matching_rules, needed_paths
from rules.models import PayloadField, WebhookEvent, WebhookRule
from tests import factories

pytestmark = pytest.mark.django_db

ORDER = {"id": 1, "state": "sale", "amount_total": 1500.0, "partner_id": [7, "Azure"]}


def make_rule(name: str = "r", **kwargs: Any) -> WebhookRule:
    return factories.make_rule(name, **{"model": "sale.order", **kwargs})


def match(*, model="sale.order", event_code="write", connection_id=None, data=None, changes=None):
    return matching_rules(
        model=model,
        event_code=event_code,
        connection_id=connection_id,
        data=ORDER if data is None else data,
        changes=changes,
    )


def connection(name: str) -> OdooConnection:
    return OdooConnection.objects.create(
        name=name, url="http://127.0.0.1:8069", database="db", username="admin"
    )


def test_an_active_rule_for_the_model_and_event_matches():
    rule = make_rule()
    assert match() == [rule]


def test_an_inactive_rule_does_not_match():
    make_rule(active=False)
    assert match() == []


def test_a_rule_for_another_model_does_not_match():
    make_rule(model="res.partner")
    assert match() == []


def test_the_event_code_must_be_one_of_the_rule_events():
    make_rule(events=("create", "unlink"))
    assert match(event_code="write") == []
    assert len(match(event_code="create")) == 1


def test_a_custom_event_code_matches_rules_listening_to_it():
    WebhookEvent.objects.create(code="sale.order.confirmed", name="Confirmed", model="sale.order")
    rule = make_rule(events=("sale.order.confirmed",))
    assert match(event_code="sale.order.confirmed") == [rule]


def test_an_inactive_event_matches_no_rule():
    WebhookEvent.objects.create(code="shipped", name="Shipped", active=False)
    make_rule(events=("shipped",))
    assert match(event_code="shipped") == []


def test_an_event_restricted_to_another_model_does_not_fire_for_this_one():
    WebhookEvent.objects.create(code="confirmed", name="Confirmed", model="purchase.order")
    make_rule(events=("confirmed",))
    assert match(event_code="confirmed") == []


def test_a_rule_without_connection_matches_any_source():
    rule = make_rule()
    assert match(connection_id=None) == [rule]
    assert match(connection_id=connection("prod").pk) == [rule]


def test_a_rule_restricted_to_a_connection_only_matches_events_from_it():
    prod, staging = connection("prod"), connection("staging")
    rule = make_rule(connection=prod)
    assert match(connection_id=prod.pk) == [rule]
    assert match(connection_id=staging.pk) == []
    assert match(connection_id=None) == []


def test_the_condition_is_evaluated_on_the_record_data():
    big = make_rule("big", condition="[('amount_total', '>', 1000)]")
    make_rule("small", condition="[('amount_total', '<', 1000)]")
    by_name = make_rule("azure", condition="[('partner_id', 'ilike', 'azure')]")
    assert match() == [by_name, big]


def test_trigger_fields_fire_a_write_only_when_one_of_them_changed():
    rule = make_rule(trigger_fields=["state", "amount_total"])
    assert match(changes={"state": {"before": "draft", "after": "sale"}}) == [rule]
    assert match(changes={"note": {"before": "", "after": "x"}}) == []
    assert match(changes=None) == []


def test_trigger_fields_do_not_filter_other_events():
    rule = make_rule(events=("create",), trigger_fields=["state"])
    assert match(event_code="create") == [rule]


def test_matched_rules_come_with_events_and_payload_fields_loaded(django_assert_num_queries):
    rule = make_rule()
    PayloadField.objects.create(rule=rule, source_path="state")
    match()  # loads the process's rule set (rules.ruleset)
    with django_assert_num_queries(1):  # then only its version token is read
        [found] = match()
        assert [f.source_path for f in found.payload_fields.all()] == ["state"]
        assert [e.code for e in found.events.all()] == ["write"]


def test_candidates_loaded_once_serve_many_events(django_assert_num_queries):
    make_rule(condition="[('state', '=', 'sale')]")
    candidates = candidate_rules(model="sale.order")
    with django_assert_num_queries(0):
        for state, expected in [("sale", 1), ("draft", 0), ("sale", 1)]:
            found = matching_rules(
                model="sale.order",
                event_code="write",
                connection_id=None,
                data={"state": state},
                changes=None,
                candidates=candidates,
            )
            assert len(found) == expected


def test_an_invalid_condition_stored_behind_validation_matches_nothing():
    rule = make_rule()
    WebhookRule.objects.filter(pk=rule.pk).update(condition="[('state', 'bogus', 1)]")
    assert match() == []


def test_needed_paths_lists_what_the_active_rules_read():
    rule = make_rule(
        condition="['|', ('state', '=', 'sale'), ('partner_id.country_id.code', '=', 'BE')]",
        trigger_fields=["amount_total"],
    )
    PayloadField.objects.create(rule=rule, source_path="order_line.product_id.name")
    PayloadField.objects.create(rule=rule, source_path="note", include=False)
    PayloadField.objects.create(
        rule=rule, payload_key="title", transform="template", transform_arg="{name} {user_id.name}"
    )
    make_rule("off", active=False, condition="[('ignored', '=', 1)]")
    make_rule("other", model="res.partner", condition="[('email', '!=', False)]")
    assert needed_paths(model="sale.order", connection_id=None) == {
        "state",
        "partner_id.country_id.code",
        "amount_total",
        "order_line.product_id.name",
        "name",
        "user_id.name",
    }


def test_needed_paths_says_every_field_when_a_rule_sends_the_whole_record():
    make_rule()
    assert needed_paths(model="sale.order", connection_id=None) == {"*"}


def test_needed_paths_skips_rules_restricted_to_another_connection():
    prod, staging = connection("prod"), connection("staging")
    rule = make_rule(connection=prod)
    PayloadField.objects.create(rule=rule, source_path="state")
    assert needed_paths(model="sale.order", connection_id=prod.pk) == {"state"}
    assert needed_paths(model="sale.order", connection_id=staging.pk) == set()
