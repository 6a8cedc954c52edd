"""The schema catalog: which columns each dataset has, learned from the repository itself.

It is fed by CREATE TABLE DDL, by the output columns of upstream CTAS / INSERT / VIEW
statements, by dbt YAML and by optional schema files. Lookups accept a shorter name when it
identifies one dataset unambiguously (``orders`` finds ``shop.orders``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


class SchemaCatalog:
    """Known datasets and their ordered columns, keyed by normalized qualified name."""

    def __init__(self, tables: Mapping[str, Iterable[str]] | None = None) -> None:
        self._tables: dict[str, tuple[str, ...]] = {}
        self._by_suffix: dict[str, set[str]] = {}
        for name, columns in (tables or {}).items():
            self.add(name, columns)

    def __contains__(self, name: str) -> bool:
        return self.resolve(name) is not None

    def __len__(self) -> int:
        return len(self._tables)

    def names(self) -> list[str]:
        return sorted(self._tables)

    def add(self, name: str, columns: Iterable[str], *, replace: bool = True) -> None:
        """Record the columns of ``name``; an empty column list is ignored."""
        cols = tuple(dict.fromkeys(c for c in columns if c and c != "*"))
        if not cols or (not replace and name in self._tables):
            return
        self._tables[name] = cols
        parts = name.split(".")
        for i in range(1, len(parts)):
            self._by_suffix.setdefault(".".join(parts[i:]), set()).add(name)

    def remove(self, name: str) -> None:
        if self._tables.pop(name, None) is None:
            return
        parts = name.split(".")
        for i in range(1, len(parts)):
            self._by_suffix.get(".".join(parts[i:]), set()).discard(name)

    def rename(self, old: str, new: str) -> None:
        cols = self.columns(old)
        if cols is not None:
            self.remove(self.resolve(old) or old)
            self.add(new, cols)

    def resolve(self, name: str) -> str | None:
        """The catalog's full name for ``name``, or None when unknown or ambiguous."""
        if name in self._tables:
            return name
        candidates = self._by_suffix.get(name)
        if candidates and len(candidates) == 1:
            return next(iter(candidates))
        # A fully qualified reference may match a shorter catalog entry (``db.t`` vs ``t``).
        parts = name.split(".")
        for i in range(1, len(parts)):
            shorter = ".".join(parts[i:])
            if shorter in self._tables:
                return shorter
        return None

    def columns(self, name: str) -> tuple[str, ...] | None:
        full = self.resolve(name)
        return None if full is None else self._tables[full]

    def copy(self) -> SchemaCatalog:
        new = SchemaCatalog()
        new._tables = dict(self._tables)
        new._by_suffix = {k: set(v) for k, v in self._by_suffix.items()}
        return new

    def changes_since(self, before: Mapping[str, Iterable[str]]) -> dict[str, list[str] | None]:
        """Tables whose columns differ from ``before`` (new or changed columns; None when gone)."""
        old = {name: list(cols) for name, cols in before.items()}
        changes: dict[str, list[str] | None] = {
            name: list(cols) for name, cols in sorted(self._tables.items()) if old.get(name) != list(cols)
        }
        changes.update({name: None for name in sorted(old) if name not in self._tables})
        return changes

    def as_dict(self) -> dict[str, list[str]]:
        return {name: list(cols) for name, cols in sorted(self._tables.items())}
