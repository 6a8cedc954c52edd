"""Python equivalents of AutomateDV's (formerly dbtvault) Data Vault macros, for when the package
is not installed.

``stage`` adds derived, hashed and ranked columns to a source model; ``hub``, ``link``, ``sat``,
``eff_sat``, ``ma_sat`` and ``t_link`` select their ``src_*`` columns from one or more
stage models; ``hash`` and ``prefix`` are the helpers models call directly. The SQL they emit keeps
the column flows of the package's (a hash key comes from the columns it hashes, a satellite's
payload from the stage's columns); loading logic (latest-record windows, incremental anti-joins)
does not change lineage and is left out. ``pit``, ``bridge`` and ``xts`` are not emulated: they stay
unknown macros (DT201). The macro arguments follow the AutomateDV 0.10 / 0.11 documentation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .builtins import MacroFunction, bind

if TYPE_CHECKING:
    from .builtins import Builtins

#: The ``src_*`` arguments of each raw-vault structure, in the order its columns come out.
_STRUCTURES: dict[str, tuple[str, ...]] = {
    "hub": ("src_pk", "src_nk", "src_extra_columns", "src_ldts", "src_source"),
    "link": ("src_pk", "src_fk", "src_extra_columns", "src_ldts", "src_source"),
    "t_link": ("src_pk", "src_fk", "src_payload", "src_extra_columns", "src_eff", "src_ldts", "src_source"),
    "sat": ("src_pk", "src_hashdiff", "src_payload", "src_extra_columns", "src_eff", "src_ldts", "src_source"),
    "ma_sat": (
        "src_pk",
        "src_cdk",
        "src_hashdiff",
        "src_payload",
        "src_extra_columns",
        "src_eff",
        "src_ldts",
        "src_source",
    ),
    "eff_sat": (
        "src_pk",
        "src_dfk",
        "src_sfk",
        "src_extra_columns",
        "src_start_date",
        "src_end_date",
        "src_eff",
        "src_ldts",
        "src_source",
    ),
}


class AutomateDV:
    """The ``automate_dv`` (and ``dbtvault``) namespace, over the host's ``ref``/``source``."""

    def __init__(self, builtins: Builtins) -> None:
        self.b = builtins

    def macros(self) -> dict[str, MacroFunction]:
        found: dict[str, MacroFunction] = {"stage": self.stage, "hash": self.hash, "prefix": self.prefix}
        for name, arguments in _STRUCTURES.items():
            found[name] = self._structure(arguments)
        return found

    # -- helpers ------------------------------------------------------------------------------

    def _relation(self, model: Any) -> Any:
        """``source_model``: a model name (``ref``) or ``{source_name: table_name}`` (``source``)."""
        if isinstance(model, dict) and len(model) == 1:
            ((source_name, table),) = model.items()
            return self.b.host.source(str(source_name), str(table))
        return self.b.host.ref(str(model))

    def _column(self, item: Any) -> tuple[str, str] | None:
        """(SQL of the column, its output name) for a column given as a name or a
        ``{source_column, alias}`` mapping."""
        if isinstance(item, dict):
            column, alias = item.get("source_column"), item.get("alias")
            if isinstance(column, str) and column:
                name = str(alias or column)
                return self.b.ident(column), name
            return None
        if isinstance(item, str) and item.strip():
            return self.b.ident(item.strip()), item.strip()
        return None

    def _columns(self, value: Any) -> list[tuple[str, str]]:
        items = value if isinstance(value, list | tuple) else [value]
        return [c for c in (self._column(i) for i in items if i is not None) if c is not None]

    def _hashed(self, columns: list[str], is_hashdiff: bool) -> str:
        """What AutomateDV hashes: each column cast to text (trimmed, upper-cased), joined by ``||``."""
        string = self.b.string_type()
        parts = [f"coalesce(upper(trim(cast({self.b.ident(c)} as {string}))), '')" for c in columns]
        if is_hashdiff or len(parts) > 1:
            text = f"concat_ws('||', {', '.join(parts)})" if parts else "''"
        else:
            text = parts[0] if parts else "''"
        return f"md5({text})"

    # -- the macros -----------------------------------------------------------------------------

    def hash(self, *args: Any, **kwargs: Any) -> str:
        a = bind(args, kwargs, ["columns", "alias", "is_hashdiff", "columns_to_escape"], {"is_hashdiff": False})
        names = [n for _, n in self._columns(a.get("columns"))]
        sql = self._hashed(names, bool(a.get("is_hashdiff")))
        return f"{sql} as {self.b.ident(str(a['alias']))}" if a.get("alias") else sql

    def prefix(self, *args: Any, **kwargs: Any) -> str:
        a = bind(args, kwargs, ["columns", "prefix_str", "alias_target"], {})
        prefix = str(a.get("prefix_str") or "")
        return ", ".join(f"{prefix}.{sql}" if prefix else sql for sql, _ in self._columns(a.get("columns")))

    def stage(self, *args: Any, **kwargs: Any) -> str:
        names = ["include_source_columns", "source_model", "hashed_columns", "derived_columns", "null_columns",
                 "ranked_columns"]  # fmt: skip
        a = bind(args, kwargs, names, {"include_source_columns": True})
        relation = self._relation(a.get("source_model"))
        columns = self.b.host.columns_of(relation)
        derived = [(str(k), self._derived(v)) for k, v in _items(a.get("derived_columns"))]
        nulls = self._null_columns(a.get("null_columns"))
        hashed = [(str(k), self._hash_value(v, columns)) for k, v in _items(a.get("hashed_columns"))]
        ranked = [(str(k), self._ranked(v)) for k, v in _items(a.get("ranked_columns"))]
        # The package's own CTE chain: each step sees the columns the previous one made.
        steps = [("derived_columns", derived), ("null_columns", nulls), ("hashed_columns", hashed),
                 ("ranked_columns", ranked)]  # fmt: skip
        ctes = [f"source_data as (\n  select * from {relation}\n)"]
        previous, known = "source_data", list(columns) if columns is not None else None
        for name, added in steps:
            if not added:
                continue
            ctes.append(f"{name} as (\n  select {_projection(self.b.ident, known, added)}\n  from {previous}\n)")
            previous = name
            if known is not None:
                known = [c for c in known if c.lower() not in {n.lower() for n, _ in added}] + [n for n, _ in added]
        made = [n for _, added in steps for n, _ in added]
        if a.get("include_source_columns") in (False, "false", "False"):
            final = ", ".join(self.b.ident(n) for n in made) or "*"
        else:
            final = "*"
        return "with " + ",\n".join(ctes) + f"\nselect {final} from {previous}"

    def _derived(self, value: Any) -> str:
        """A derived column: ``!x`` is the constant ``'x'``, a list is the columns concatenated,
        ``{source_column, escape}`` the column; any other text is SQL used as written."""
        if isinstance(value, dict):
            value = value.get("source_column")
        if isinstance(value, list | tuple):
            parts = [self._derived(v) for v in value]
            return f"concat_ws('||', {', '.join(parts)})" if parts else "null"
        text = str(value).strip() if value is not None else "null"
        if text.startswith("!"):
            return self.b.literal(text[1:])
        return text or "null"

    def _hash_value(self, value: Any, columns: list[str] | None) -> str:
        if isinstance(value, dict):
            listed = [n for _, n in self._columns(value.get("columns"))]
            if value.get("exclude_columns") and columns is not None:
                excluded = {c.lower() for c in listed}
                listed = [c for c in columns if c.lower() not in excluded]
            return self._hashed(listed, bool(value.get("is_hashdiff")))
        return self._hashed([n for _, n in self._columns(value)], False)

    def _null_columns(self, value: Any) -> list[tuple[str, str]]:
        """``null_columns: {required: [...], optional: [...]}``: the key column with its nulls
        replaced, and the original kept as ``<column>_original``."""
        made: list[tuple[str, str]] = []
        for kind, default in (("required", "'-1'"), ("optional", "'-2'")):
            for _, name in self._columns(value.get(kind) if isinstance(value, dict) else None):
                made.append((f"{name}_original", self.b.ident(name)))
                made.append((name, f"coalesce({self.b.ident(name)}, {default})"))
        return made

    def _ranked(self, value: Any) -> str:
        if not isinstance(value, dict):
            return "rank() over ()"
        partition = ", ".join(sql for sql, _ in self._columns(value.get("partition_by")))
        order_by = value.get("order_by")
        order_items = order_by.items() if isinstance(order_by, dict) else [(o, "") for o in _list(order_by)]
        order = ", ".join(f"{self.b.ident(str(k))} {str(d or '').strip()}".strip() for k, d in order_items)
        function = "dense_rank" if value.get("dense_rank") else "rank"
        window = " ".join(p for p in (f"partition by {partition}" if partition else "",
                                      f"order by {order}" if order else "") if p)  # fmt: skip
        return f"{function}() over ({window})"

    def _structure(self, arguments: tuple[str, ...]) -> Callable[..., str]:
        def render(*args: Any, **kwargs: Any) -> str:
            a = bind(args, kwargs, [*arguments, "source_model"], {})
            seen: set[str] = set()
            items: list[str] = []
            for key in arguments:
                for sql, name in self._columns(a.get(key)):
                    if name.lower() in seen:
                        continue
                    seen.add(name.lower())
                    items.append(sql if sql == self.b.ident(name) else f"{sql} as {self.b.ident(name)}")
            models = a.get("source_model")
            relations = [self._relation(m) for m in (models if isinstance(models, list | tuple) else [models])]
            select = ",\n  ".join(items) or "*"
            return "\nunion all\n".join(f"select distinct\n  {select}\nfrom {r}" for r in relations if r is not None)

        return render


def _items(value: Any) -> list[tuple[Any, Any]]:
    return list(value.items()) if isinstance(value, dict) else []


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _projection(ident: Callable[[str], str], known: list[str] | None, added: list[tuple[str, str]]) -> str:
    """``select`` items of one stage step: the columns so far (less those it replaces), then its own."""
    new = {n.lower() for n, _ in added}
    kept = [ident(c) for c in known if c.lower() not in new] if known is not None else ["*"]
    return ",\n    ".join([*kept, *(f"{sql} as {ident(n)}" for n, sql in added)])
