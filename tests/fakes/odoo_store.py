"""In-memory Odoo database behind the fake XML-RPC server: models, records, domains, faults."""

from __future__ import annotations

import bisect
import functools
import re
import threading
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from xmlrpc.client import Fault

DT_FORMAT = "%Y-%m-%d %H:%M:%S"
META_FIELDS = ("create_date", "create_uid", "write_date", "write_uid")


@dataclass
class Field:
    type: str
    relation: str = ""
    inverse: str = ""  # one2many: the many2one field on the comodel
    required: bool = False
    string: str = ""


class OdooFault(Exception):
    """Raised inside the store; the server turns it into an XML-RPC Fault with this code, or a
    JSON-2 error body with this exception name (Odoo's `module.Class`)."""

    NAMES = {
        2: "odoo.exceptions.UserError",
        3: "odoo.exceptions.AccessDenied",
        4: "odoo.exceptions.AccessError",
    }

    def __init__(self, code: int, message: str, *, name: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.short = ""  # JSON-2's message when it differs from the XML-RPC fault string
        self.name = name or self.NAMES.get(code, "builtins.Exception")

    def fault(self) -> Fault:
        return Fault(self.code, self.message)


def server_error(exc_type: str, message: str) -> OdooFault:
    """Odoo's code 1: the formatted traceback of an unexpected exception."""
    text = "".join(traceback.format_stack(limit=2)) + f"{exc_type}: {message}\n"
    name = exc_type if "." in exc_type else f"builtins.{exc_type}"
    fault = OdooFault(1, "Traceback (most recent call last):\n" + text, name=name)
    fault.short = message  # JSON-2 sends the message and the traceback apart
    return fault


def fmt_dt(value: datetime) -> str:
    return value.strftime(DT_FORMAT)  # Odoo shows datetimes truncated to the second


@functools.lru_cache(maxsize=4096)  # a domain's bound is parsed once, not once per record
def parse_dt(value: str) -> datetime:
    return datetime.strptime(value[:19], DT_FORMAT)


def default_schema() -> dict[str, dict[str, Field]]:
    m2o = lambda rel, **kw: Field("many2one", rel, **kw)  # noqa: E731
    return {
        "res.users": {"name": Field("char"), "login": Field("char")},
        "res.country": {"name": Field("char"), "code": Field("char")},
        "res.partner": {
            "name": Field("char", required=True),
            "email": Field("char"),
            "phone": Field("char"),
            "active": Field("boolean"),
            "is_company": Field("boolean"),
            "country_id": m2o("res.country"),
            "parent_id": m2o("res.partner"),
            "category_ids": Field("many2many", "res.partner.category"),
            "credit_limit": Field("float"),
            "birthday": Field("date"),
        },
        "res.partner.category": {"name": Field("char")},
        "product.product": {"name": Field("char"), "default_code": Field("char")},
        "sale.order": {
            "name": Field("char"),
            "state": Field("selection"),
            "partner_id": m2o("res.partner", required=True),
            "amount_total": Field("float"),
            "order_line": Field("one2many", "sale.order.line", inverse="order_id"),
            "note": Field("text"),
        },
        "sale.order.line": {
            "name": Field("char"),
            "order_id": m2o("sale.order"),
            "product_id": m2o("product.product"),
            "product_uom_qty": Field("float"),
        },
    }


class Store:
    """Records per model. write_date keeps microseconds internally and is shown in seconds."""

    def __init__(self, *, version: str = "17.0") -> None:
        self.lock = threading.RLock()
        self.version = version
        self.schema = default_schema()
        for fields in self.schema.values():
            fields.update(
                {
                    "id": Field("integer"),
                    "display_name": Field("char"),
                    "create_date": Field("datetime"),
                    "write_date": Field("datetime"),
                    "create_uid": Field("many2one", "res.users"),
                    "write_uid": Field("many2one", "res.users"),
                }
            )
        self.records: dict[str, dict[int, dict[str, Any]]] = {m: {} for m in self.schema}
        self.next_id: dict[str, int] = {m: 1 for m in self.schema}
        self.denied_models: set[str] = set()
        self.frozen: datetime | None = None
        self.now_hook: Callable[[], datetime] | None = None
        # Every create, write and unlink bumps the generation: a sorted datetime index built at
        # another generation is stale (Store._range).
        self.generation = 0
        self._indexes: dict[tuple[str, str], tuple[int, list[datetime], list[int]]] = {}

    # --- clock ---------------------------------------------------------------------------------
    def now(self) -> datetime:
        if self.frozen is not None:
            return self.frozen
        return datetime.now(UTC).replace(tzinfo=None)

    @property
    def major(self) -> int:
        return _major(self.version)  # read once per record in datetime domains: cached

    # --- model helpers -------------------------------------------------------------------------
    def model_fields(self, model: str) -> dict[str, Field]:
        if model not in self.schema:
            raise OdooFault(2, f"Object {model} doesn't exist")
        return self.schema[model]

    def check_access(self, model: str) -> None:
        self.model_fields(model)
        if model in self.denied_models:
            raise OdooFault(
                4,
                f"You are not allowed to access '{model}' ({model}) records.\n\n"
                "This operation is allowed for the following groups:\n\t- Administration/Settings",
            )

    def display_name(self, model: str, rid: int) -> str:
        rec = self.records[model].get(rid)
        if rec is None:
            return ""
        name = rec.get("name") or ""
        if model == "res.partner" and rec.get("parent_id"):
            return f"{self.display_name(model, rec['parent_id'])}, {name}"
        return name

    # --- writes --------------------------------------------------------------------------------
    def alloc_id(self, model: str) -> int:
        with self.lock:
            rid = self.next_id[model]
            self.next_id[model] += 1
            return rid

    def create(
        self,
        model: str,
        vals: dict[str, Any],
        *,
        uid: int,
        at: datetime | None = None,
        rid: int | None = None,
    ) -> int:
        with self.lock:
            fields = self.model_fields(model)
            for name, field in fields.items():
                if field.required and not vals.get(name):
                    raise OdooFault(
                        2,
                        name="odoo.exceptions.ValidationError",
                        message="The operation cannot be completed:\n- Create/update: a "
                        "mandatory field is not set.\n- Delete: another model requires the "
                        "record being deleted."
                        f"\n\nModel: {model}, Field: {name}",
                    )
            rid = rid or self.alloc_id(model)
            self.generation += 1
            when = at or self.now()
            rec: dict[str, Any] = {n: False for n, f in fields.items() if f.type != "one2many"}
            for n, f in fields.items():
                if f.type == "many2many":
                    rec[n] = []
            if "active" in fields:
                rec["active"] = True
            rec.update(id=rid, create_date=when, write_date=when, create_uid=uid, write_uid=uid)
            self.records[model][rid] = rec
            self._apply(model, rec, vals, uid=uid, at=when)
            return rid

    def write(
        self,
        model: str,
        ids: Iterable[int],
        vals: dict[str, Any],
        *,
        uid: int,
        at: datetime | None = None,
    ) -> bool:
        with self.lock:
            ids = list(ids)
            self.model_fields(model)
            missing = [i for i in ids if i not in self.records[model]]
            if missing:
                raise OdooFault(
                    2,
                    "Record does not exist or has been deleted.\n"
                    f"(Record: {model}({', '.join(map(str, missing))},), User: {uid})",
                    name="odoo.exceptions.MissingError",
                )
            when = at or self.now()
            self.generation += 1
            for rid in ids:
                rec = self.records[model][rid]
                self._apply(model, rec, vals, uid=uid, at=when)
                rec["write_date"], rec["write_uid"] = when, uid
            return True

    def unlink(self, model: str, ids: Iterable[int]) -> bool:
        with self.lock:
            self.model_fields(model)
            self.generation += 1
            for rid in list(ids):
                self.records[model].pop(rid, None)
            return True

    def _apply(self, model: str, rec: dict, vals: dict, *, uid: int, at: datetime) -> None:
        fields = self.schema[model]
        for name, value in vals.items():
            field = fields.get(name)
            if field is None or name in ("id", "display_name", *META_FIELDS):
                if field is None:
                    raise server_error("ValueError", f"Invalid field '{name}' on model '{model}'")
                continue
            if field.type == "one2many":
                self._o2m_commands(field, rec["id"], value, uid=uid, at=at)
            elif field.type == "many2many":
                rec[name] = self._m2m_commands(rec.get(name) or [], value)
            elif field.type == "many2one":
                rec[name] = value[0] if isinstance(value, list | tuple) and value else value
            elif field.type == "datetime" and isinstance(value, str):
                rec[name] = parse_dt(value)
            else:
                rec[name] = value

    def _o2m_commands(
        self, field: Field, parent: int, value: Any, *, uid: int, at: datetime
    ) -> None:
        for cmd in value or []:
            if cmd[0] == 0:
                self.create(field.relation, {**cmd[2], field.inverse: parent}, uid=uid, at=at)
            elif cmd[0] == 1:
                self.write(field.relation, [cmd[1]], cmd[2], uid=uid, at=at)
            elif cmd[0] == 2:
                self.unlink(field.relation, [cmd[1]])

    @staticmethod
    def _m2m_commands(current: list[int], value: Any) -> list[int]:
        ids = list(current)
        for cmd in value or []:
            if isinstance(cmd, int):
                ids.append(cmd)
            elif cmd[0] == 6:
                ids = list(cmd[2])
            elif cmd[0] == 5:
                ids = []
            elif cmd[0] == 4 and cmd[1] not in ids:
                ids.append(cmd[1])
            elif cmd[0] == 3 and cmd[1] in ids:
                ids.remove(cmd[1])
        return ids

    # --- reads ---------------------------------------------------------------------------------
    def value(self, model: str, rec: dict[str, Any], name: str) -> Any:
        """A stored value in wire shape: [id, name], id lists, False, 'YYYY-MM-DD HH:MM:SS'."""
        field = self.schema[model][name]
        if name == "display_name":
            return self.display_name(model, rec["id"]) or False
        if field.type == "one2many":
            rel = self.records[field.relation]
            return sorted(i for i, r in rel.items() if r.get(field.inverse) == rec["id"])
        raw = rec.get(name, False)
        if field.type == "many2one":
            return [raw, self.display_name(field.relation, raw)] if raw else False
        if field.type == "datetime":
            return fmt_dt(raw) if raw else False
        if field.type == "many2many":
            return list(raw)
        return raw if raw is not None else False

    def read(self, model: str, ids: Iterable[int], fields: list[str] | None) -> list[dict]:
        with self.lock:
            known = self.model_fields(model)
            names = list(fields or [n for n in known if n != "display_name"])
            for name in names:
                if name not in known:
                    raise server_error("ValueError", f"Invalid field '{name}' on model '{model}'")
            out = []
            for rid in ids:
                rec = self.records[model].get(rid)
                if rec is None:
                    continue  # read silently drops ids that no longer exist
                row = {"id": rid}
                row.update({n: self.value(model, rec, n) for n in names if n != "id"})
                out.append(row)
            return out

    def search(
        self,
        model: str,
        domain: list,
        *,
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
        context: dict | None = None,
    ) -> list[int]:
        with self.lock:
            recs = self._select(model, domain, context)
            for key, desc in reversed(self._parse_order(model, order or "id")):
                recs.sort(key=partial(_field_sort_key, key), reverse=desc)
            ids = [r["id"] for r in recs]
            return ids[offset : offset + limit if limit else None]

    def count(self, model: str, domain: list, *, context: dict | None = None) -> int:
        with self.lock:
            return len(self._select(model, domain, context))  # no order needed to count

    def _select(self, model: str, domain: list, context: dict | None) -> list[dict[str, Any]]:
        """The records matching `domain` (unordered)."""
        fields = self.model_fields(model)
        active_test = (context or {}).get("active_test", True)
        names_active = any(isinstance(t, list | tuple) and t[0] == "active" for t in domain)
        recs, rest = self._range(model, domain)
        if "active" in fields and active_test and not names_active:
            recs = [r for r in recs if r.get("active")]
        if rest:  # normalised once per search, not once per record
            normal = _normalize(rest)
            recs = [r for r in recs if self._matches_normal(model, r, normal)]
        return recs

    def _range(self, model: str, domain: list) -> tuple[list[dict[str, Any]], list]:
        """(candidates, the terms left to evaluate on each). As a database answers a search on
        write_date from an index, a plain conjunction's bounds on one datetime field are taken
        from a sorted index, with the same comparison as a leaf (Store._compare_dt)."""
        records = self.records[model]
        fields = self.schema[model]
        name = next(
            (
                t[0]
                for t in domain
                if _is_bound(t) and getattr(fields.get(t[0]), "type", "") == "datetime"
            ),
            None,
        )
        if name is None or any(isinstance(t, str) for t in domain):  # none, or '|', '!', '&'
            return list(records.values()), domain
        dates, ids = self._index(model, name)
        start, stop, rest = 0, len(dates), []
        for term in domain:
            if not (_is_bound(term) and term[0] == name):
                rest.append(term)
                continue
            op, at = term[1], parse_dt(term[2])
            if self.major >= 19 and op in (">", "<="):
                at += SECOND  # compared at second precision: '> S' is '>= S+1s'
            after = self.major < 19 and op in (">", "<=")
            cut = (bisect.bisect_right if after else bisect.bisect_left)(dates, at)
            start, stop = (max(start, cut), stop) if op[0] == ">" else (start, min(stop, cut))
        return [records[i] for i in ids[start:stop]], rest

    def _index(self, model: str, name: str) -> tuple[list[datetime], list[int]]:
        """(sorted values, their record ids) of a datetime field, rebuilt after any change."""
        cached = self._indexes.get((model, name))
        if cached is None or cached[0] != self.generation:
            pairs = sorted((r[name], rid) for rid, r in self.records[model].items() if r.get(name))
            cached = (self.generation, [d for d, _ in pairs], [rid for _, rid in pairs])
            self._indexes[(model, name)] = cached
        return cached[1], cached[2]

    def _parse_order(self, model: str, order: str) -> list[tuple[str, bool]]:
        spec = []
        for part in order.split(","):
            bits = part.split()
            if not bits or bits[0] not in self.schema[model]:
                raise server_error("ValueError", f"Invalid order {order!r} for model {model}")
            spec.append((bits[0], len(bits) > 1 and bits[1].lower() == "desc"))
        return spec

    # --- domains -------------------------------------------------------------------------------
    def matches(self, model: str, rec: dict, domain: list) -> bool:
        return self._matches_normal(model, rec, _normalize(domain))

    def _matches_normal(self, model: str, rec: dict, normal: list) -> bool:
        stack: list[bool] = []
        for item in reversed(normal):
            if item == "&":
                stack.append(stack.pop() and stack.pop())
            elif item == "|":
                a, b = stack.pop(), stack.pop()
                stack.append(a or b)
            elif item == "!":
                stack.append(not stack.pop())
            else:
                stack.append(self._leaf(model, rec, *item))
        return all(stack)

    def _leaf(self, model: str, rec: dict, path: str, op: str, value: Any) -> bool:
        head, _, rest = path.partition(".")
        field = self.schema[model].get(head)
        if field is None:
            raise server_error("ValueError", f"Invalid field {model}.{head} in leaf {path!r}")
        if rest:
            ids = self.value(model, rec, head) if field.type != "many2one" else [rec.get(head)]
            return any(
                self._leaf(field.relation, self.records[field.relation][i], rest, op, value)
                for i in ids or []
                if i in self.records[field.relation]
            )
        stored = rec.get(head, False) if field.type != "one2many" else self.value(model, rec, head)
        if head == "display_name":
            stored = self.display_name(model, rec["id"])
        if field.type == "datetime":
            return self._compare_dt(stored, op, value)
        return _compare(stored, op, value)

    def _compare_dt(self, stored: Any, op: str, value: Any) -> bool:
        if not stored or not isinstance(value, str):
            return _compare(stored, op, value)
        bound = parse_dt(value)
        if self.major >= 19:
            # Odoo 19 compares datetimes at second precision: '>' S means '>= S+1s'.
            stored = stored.replace(microsecond=0)
        return _compare(stored, op, bound)


@functools.lru_cache(maxsize=64)
def _major(version: str) -> int:
    found = re.match(r"\D*(\d+)", version)
    assert found, f"no major version in {version!r}"
    return int(found.group(1))


def _normalize(domain: list) -> list:
    """Insert the implicit '&' between top-level terms (Odoo's normalize_domain)."""
    arity = {"&": 2, "|": 2, "!": 1}
    out: list = []
    expected = 1
    for item in domain:
        if expected == 0:
            out.insert(0, "&")
            expected = 1
        if isinstance(item, str) and item in arity:
            expected += arity[item] - 1
        else:
            item = tuple(item)
            expected -= 1
        out.append(item)
    return out


def _is_bound(term: Any) -> bool:
    return (
        isinstance(term, list | tuple)
        and len(term) == 3
        and term[1] in (">", ">=", "<", "<=")
        and isinstance(term[2], str)
    )


def _compare(stored: Any, op: str, value: Any) -> bool:
    if isinstance(value, list | tuple) and op not in ("in", "not in"):
        value = value[0] if value else False
    if op in ("=", "=="):
        return stored == value or (value is False and stored in (None, [], ""))
    if op in ("!=", "<>"):
        return not _compare(stored, "=", value)
    if op == "in":
        items = stored if isinstance(stored, list) else [stored]
        return any(s in value for s in items)
    if op == "not in":
        return not _compare(stored, "in", value)
    if op in ("like", "ilike", "not like", "not ilike", "=like", "=ilike"):
        text, pattern = str(stored or ""), str(value)
        if op.endswith("ilike"):
            text, pattern = text.lower(), pattern.lower()
        found = pattern in text if not op.startswith("=") else text == pattern
        return not found if op.startswith("not") else found
    if stored is False or stored is None:
        return False
    if isinstance(stored, datetime) and not isinstance(value, datetime):
        return False
    return {">": stored > value, ">=": stored >= value, "<": stored < value, "<=": stored <= value}[
        op
    ]


def _field_sort_key(name: str, record: dict[str, Any]) -> tuple:
    return _sort_key(record.get(name))


def _sort_key(value: Any) -> tuple:
    if value is False or value is None:
        return (0, 0)
    return (1, value)


SECOND = timedelta(seconds=1)


def shift(value: datetime, seconds: float) -> datetime:
    return value + timedelta(seconds=seconds)
