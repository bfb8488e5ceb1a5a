"""What to read from Odoo for a model, dotted paths resolved in batches, and value comparison.

Record data shape (what events carry and payload paths walk, see hub.lib.paths): fields as Odoo
returns them (many2one ``[id, name]``, x2many id lists, False for empty), except relations that
a dotted path goes through, which are expanded in place: a many2one becomes
``{"id": 7, "display_name": "Azure", "country_id": {...}}`` and an x2many a list of such dicts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache

ALL_FIELDS = "*"  # rules.matching.ALL_FIELDS: some rule sends the whole record
META_FIELDS = ("write_date", "write_uid", "create_date")
NOT_DIFFED = frozenset({*META_FIELDS, "create_uid", "display_name", "__last_update", "id"})
# Fields never read for "every field": big blobs and the chatter, which churns on its own.
SKIPPED_PREFIXES = ("message_", "activity_", "website_message", "__")
RELATIONAL = frozenset({"many2one", "one2many", "many2many"})
FIELDS_CACHE_SECONDS = 600

Describe = Callable[[str], dict[str, dict[str, Any]]]  # model -> fields_get output
Fetch = Callable[[str, list[int], list[str]], dict[int, dict[str, Any]]]  # read_related


# --- fields_get, cached per (connection, model) ---------------------------------------------
def cache_key(connection_id: int, model: str) -> str:
    return f"hub:odoo:fields:{connection_id}:{model}"


def cached_describe(connection_id: int, client: Any) -> Describe:
    """fields_get through the Django cache (10 min): a field picker or a poll costs no call."""

    def describe(model: str) -> dict[str, dict[str, Any]]:
        key = cache_key(connection_id, model)
        found = cache.get(key)
        if found is None:
            found = client.fields_get(model)
            cache.set(key, found, FIELDS_CACHE_SECONDS)
        return found

    return describe


# --- the read plan -----------------------------------------------------------------------------
Tree = dict[str, "Tree"]


@dataclass
class ReadPlan:
    model: str
    fields: list[str]  # top-level fields of the search_read
    tree: Tree  # relations to expand: {"partner_id": {"country_id": {"code": {}}}}
    tracked: list[str]  # fields whose change makes a write event
    has_active: bool
    skipped: list[str] = field(default_factory=list)  # paths naming unknown fields


def all_stored_fields(fields: dict[str, dict[str, Any]]) -> list[str]:
    return sorted(
        name
        for name, info in fields.items()
        if info.get("store", True)
        and info.get("type") != "binary"
        and not name.startswith(SKIPPED_PREFIXES)
    )


def _add_path(tree: Tree, path: str, describe: Describe, model: str) -> bool:
    """Add a dotted path to the tree; False when a segment is not a field of its model."""
    node, current = tree, model
    segments = [s for s in path.split(".") if s and not s.isdigit()]
    for i, segment in enumerate(segments):
        info = describe(current).get(segment)
        if info is None:
            return False
        child = node.setdefault(segment, {})
        if i + 1 < len(segments):
            if info.get("type") not in RELATIONAL or not info.get("relation"):
                return False
            current = info["relation"]
        node = child
    return bool(segments)


def build_plan(
    *, model: str, describe: Describe, tracked: Iterable[str], needed: Iterable[str]
) -> ReadPlan:
    """tracked fields ∪ the paths the rules need ∪ write_date/write_uid/create_date ∪
    display_name/active; an empty tracked list means every stored field."""
    fields = describe(model)
    tracked = [f for f in tracked if f]
    needed = set(needed)
    tree: Tree = {}
    skipped: list[str] = []
    wanted = set(tracked) | (needed - {ALL_FIELDS})
    if not tracked or ALL_FIELDS in needed:
        wanted |= set(all_stored_fields(fields))
    for path in sorted(wanted):
        if not _add_path(tree, path, describe, model):
            skipped.append(path)
    for name in (*META_FIELDS, "display_name", "active"):
        if name in fields:
            tree.setdefault(name, {})
    has_active = "active" in fields
    if tracked:
        diffed = [f for f in tracked if f in fields] + (["active"] if has_active else [])
    else:
        diffed = [f for f in tree if f not in NOT_DIFFED]
    return ReadPlan(
        model=model,
        fields=sorted(tree),
        tree={k: v for k, v in tree.items() if v},
        tracked=sorted(set(diffed) - NOT_DIFFED),
        has_active=has_active,
        skipped=skipped,
    )


# --- expansion: one read per related model per level, never one per record ----------------------
def ids_of(value: Any) -> list[int]:
    if value is False or value is None:
        return []
    if isinstance(value, dict):
        return [value["id"]] if "id" in value else []
    if isinstance(value, list | tuple):
        if len(value) == 2 and isinstance(value[0], int) and isinstance(value[1], str):
            return [value[0]]  # many2one pair
        return [i for v in value for i in ids_of(v)] if value else []
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    return []


def _embed(value: Any, related: dict[int, dict[str, Any]], many: bool) -> Any:
    if many:
        return [related[i] for i in ids_of(value) if i in related]
    ids = ids_of(value)
    if not ids or ids[0] not in related:
        return value if ids else False
    # The related dict itself, shared by every record pointing at it: deeper levels expand it
    # in place once. Data is only serialized afterwards, never mutated per record.
    target = related[ids[0]]
    if isinstance(value, list) and not target.get("display_name"):
        target["display_name"] = value[1]
    return target


def expand(
    *, model: str, rows: list[dict[str, Any]], tree: Tree, describe: Describe, fetch: Fetch
) -> None:
    """Resolve the tree's relations in place, breadth first, one fetch per model per level."""
    frontier: list[tuple[str, list[dict[str, Any]], Tree]] = [(model, rows, tree)]
    while frontier:
        wants: dict[str, tuple[set[int], set[str]]] = defaultdict(lambda: (set(), set()))
        links = []
        for current, items, node in frontier:
            info = describe(current)
            for name, sub in node.items():
                if not sub:
                    continue
                rel, many = info[name]["relation"], info[name]["type"] != "many2one"
                ids, names = wants[rel]
                for item in items:
                    ids.update(ids_of(item.get(name)))
                names.update(sub)
                links.append((items, name, rel, many, sub))
        fetched = {}
        for rel, (ids, names) in wants.items():
            extra = ["display_name"] if "display_name" in describe(rel) else []
            fetched[rel] = fetch(rel, sorted(ids), sorted(names | set(extra))) if ids else {}
        frontier = []
        for items, name, rel, many, sub in links:
            related = fetched[rel]
            for item in items:
                item[name] = _embed(item.get(name), related, many)
            children = [
                related[i] for item in items for i in ids_of(item.get(name)) if i in related
            ]
            frontier.append((rel, list({id(c): c for c in children}.values()), sub))


# --- comparison ----------------------------------------------------------------------------------
def comparable(value: Any) -> Any:
    """Relations compare by id (names and expanded sub-fields are not the record's own value)."""
    if isinstance(value, dict) and "id" in value:
        return value["id"]
    if isinstance(value, list | tuple):
        if len(value) == 2 and isinstance(value[0], int) and isinstance(value[1], str):
            return value[0]
        return [comparable(v) for v in value]
    return value


def wire(value: Any) -> Any:
    """A value in Odoo's own shape for `changes`: [id, name] pairs and id lists."""
    if isinstance(value, dict) and "id" in value:
        return [value["id"], value.get("display_name") or ""]
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return [v.get("id") for v in value]
    return value


def diff(before: dict[str, Any], after: dict[str, Any], tracked: Iterable[str]) -> dict:
    """{field: {before, after}} for tracked fields known on both sides that differ."""
    changes = {}
    for name in tracked:
        if name in before and name in after and comparable(before[name]) != comparable(after[name]):
            changes[name] = {"before": wire(before[name]), "after": wire(after[name])}
    return changes
