"""Pure cores, no database: the read plan, batched expansion, diffs and the poller's decision."""

from __future__ import annotations

from typing import Any

from hub.odoo.fields import build_plan, diff, expand
from hub.odoo.poller import Snap, decide

SCHEMA = {
    "sale.order": {
        "name": {"type": "char"},
        "state": {"type": "selection"},
        "partner_id": {"type": "many2one", "relation": "res.partner"},
        "order_line": {"type": "one2many", "relation": "sale.order.line"},
        "image": {"type": "binary"},
        "message_ids": {"type": "one2many", "relation": "mail"},
        "write_date": {"type": "datetime"},
        "write_uid": {"type": "many2one", "relation": "res.users"},
        "create_date": {"type": "datetime"},
        "display_name": {"type": "char", "store": False},
    },
    "res.partner": {
        "name": {"type": "char"},
        "display_name": {"type": "char"},
        "country_id": {"type": "many2one", "relation": "res.country"},
    },
    "res.country": {"code": {"type": "char"}, "display_name": {"type": "char"}},
    "sale.order.line": {
        "product_id": {"type": "many2one", "relation": "product.product"},
        "display_name": {"type": "char"},
    },
    "product.product": {"name": {"type": "char"}, "display_name": {"type": "char"}},
}
describe = SCHEMA.__getitem__


def test_the_plan_reads_tracked_fields_rule_paths_and_metadata():
    plan = build_plan(
        model="sale.order",
        describe=describe,
        tracked=["state"],
        needed={"partner_id.country_id.code", "order_line.0.product_id.name", "nope.x"},
    )
    assert plan.fields == [
        "create_date",
        "display_name",
        "order_line",
        "partner_id",
        "state",
        "write_date",
        "write_uid",
    ]
    assert plan.tree == {
        "partner_id": {"country_id": {"code": {}}},
        "order_line": {"product_id": {"name": {}}},
    }
    assert plan.tracked == ["state"] and plan.skipped == ["nope.x"]


def test_an_empty_tracked_list_tracks_every_stored_field_but_blobs_and_chatter():
    plan = build_plan(model="sale.order", describe=describe, tracked=[], needed=set())
    assert plan.tracked == ["name", "order_line", "partner_id", "state"]


def test_expansion_reads_each_related_model_once_and_shares_records():
    calls = []
    tables = {
        "res.partner": {7: {"id": 7, "display_name": "Azure", "country_id": [1, "Belgium"]}},
        "res.country": {1: {"id": 1, "code": "BE", "display_name": "Belgium"}},
        "sale.order.line": {
            10: {"id": 10, "product_id": [5, "Desk"]},
            11: {"id": 11, "product_id": [5, "Desk"]},
        },
        "product.product": {5: {"id": 5, "name": "Desk"}},
    }

    def fetch(model, ids, fields):
        calls.append((model, ids))
        return {i: dict(tables[model][i]) for i in ids if i in tables[model]}

    rows: list[dict[str, Any]] = [
        {"id": n, "partner_id": [7, "Azure"], "order_line": [10, 11]} for n in (1, 2)
    ]
    plan = build_plan(
        model="sale.order",
        describe=describe,
        tracked=[],
        needed={"partner_id.country_id.code", "order_line.product_id.name"},
    )
    expand(model="sale.order", rows=rows, tree=plan.tree, describe=describe, fetch=fetch)
    assert sorted(calls) == [
        ("product.product", [5]),
        ("res.country", [1]),
        ("res.partner", [7]),
        ("sale.order.line", [10, 11]),
    ]
    assert rows[1]["partner_id"]["country_id"]["code"] == "BE"
    assert [line["product_id"]["name"] for line in rows[0]["order_line"]] == ["Desk", "Desk"]


def test_relations_compare_by_id_and_report_in_odoo_shape():
    before = {"partner_id": [7, "Azure"], "tags": [1, 2], "state": "draft"}
    after = {
        "partner_id": {"id": 7, "display_name": "Azure Interior"},
        "tags": [2, 1],
        "state": "sale",
    }
    assert diff(before, after, ["partner_id", "tags", "state"]) == {
        "tags": {"before": [1, 2], "after": [2, 1]},
        "state": {"before": "draft", "after": "sale"},
    }
    moved = {"partner_id": {"id": 8, "display_name": "Deco"}}
    assert diff(before, moved, ["partner_id"]) == {
        "partner_id": {"before": [7, "Azure"], "after": [8, "Deco"]}
    }


def test_decide_covers_create_write_own_untracked_and_duplicates():
    plan = build_plan(model="sale.order", describe=describe, tracked=["state"], needed=set())
    row = {
        "id": 1,
        "state": "sale",
        "write_date": "2026-01-01 10:00:00",
        "create_date": "2026-01-01 09:59:00",
        "write_uid": [2, "Mitchell Admin"],
    }
    common = {
        "plan": plan,
        "own_uid": 6,
        "ignore_own": True,
        "watched": {"create", "write", "unlink"},
        "baseline": False,
        "window_start": "2026-01-01 09:55:00",
    }
    assert decide(row, None, **common).code == "create"
    old = Snap("2026-01-01 09:59:00", {**row, "state": "draft"})
    assert decide(row, old, **common).changes == {"state": {"before": "draft", "after": "sale"}}
    same = Snap(row["write_date"], dict(row))
    assert (decide(row, same, **common).code, decide(row, same, **common).store) == (None, False)
    untracked = Snap(row["write_date"], {**row, "name": "other"})
    assert decide({**row, "name": "x"}, untracked, **common).code is None
    own = {**row, "write_uid": [6, "Webhook Hub"]}
    assert (decide(own, old, **common).code, decide(own, old, **common).store) == (None, True)
    assert decide(row, old, **{**common, "watched": {"create"}}).code is None
    assert decide(row, None, **{**common, "baseline": True}).code is None
