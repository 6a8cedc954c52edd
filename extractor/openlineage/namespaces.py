"""Where each datatrail dataset lives in OpenLineage: a ``(namespace, name)`` pair.

OpenLineage identifies a dataset by the platform that stores it (the namespace: a URI such as
``postgres://host:5432``, ``snowflake://account``, ``bigquery``, ``s3://bucket``) and the name the
platform uses for it. datatrail knows the name and the kind of store (table, file, ML model …),
so the namespace comes from ``[tool.datatrail.openlineage]``: one default per kind of store,
then per-dataset glob overrides.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..graph import UNKNOWN_PREFIX, Dataset
from ..model import DatasetKind
from .settings import Settings

#: The namespace of placeholders for columns whose source table could not be resolved.
UNRESOLVED_NAMESPACE = "datatrail-unresolved"


@dataclass(frozen=True, order=True)
class DatasetId:
    """An OpenLineage dataset identity; ``case`` is how the platform writes its column names."""

    namespace: str
    name: str
    case: str = field(default="keep", compare=False)

    def column(self, name: str) -> str:
        """A column name as the platform writes it (``*``, an unknown column, stays as it is)."""
        return _cased(name, self.case) if name != "*" else name


class Namespaces:
    """Maps datatrail dataset names (and kinds) to OpenLineage dataset identities."""

    def __init__(self, settings: Settings, dialect: str | None) -> None:
        self.settings = settings
        self.tables = settings.tables or (dialect or "sql").lower()

    def of(self, name: str, dataset: Dataset | None) -> DatasetId:
        """The identity of dataset ``name`` (``dataset`` gives its kind; None when not in the graph)."""
        override = None
        for pattern, namespace in self.settings.datasets.items():
            if fnmatch.fnmatchcase(name, pattern):
                override = namespace  # the last match wins, as for [tool.datatrail] dialects
        if name.startswith(UNKNOWN_PREFIX):
            return DatasetId(UNRESOLVED_NAMESPACE, name[len(UNKNOWN_PREFIX) :])
        uri = _split_uri(name)
        if uri is not None and override is None:
            return uri
        kind = dataset.kind if dataset is not None else DatasetKind.TABLE
        if kind not in (DatasetKind.FILE, DatasetKind.MODEL, DatasetKind.DASHBOARD):
            # A table: named as its platform writes names (Snowflake upper-cases unquoted ones).
            case = self.settings.name_case
            return DatasetId(override or self.tables, _cased(name, case), case)
        if override is not None:
            return DatasetId(override, _name_in(override, name, kind))
        if kind is DatasetKind.FILE:
            return DatasetId(self.settings.files, _name_in(self.settings.files, name, kind))
        if kind is DatasetKind.MODEL:
            return DatasetId(self.settings.models, name)
        return DatasetId(self.settings.dashboards, name)


def _cased(name: str, case: str) -> str:
    return name.upper() if case == "upper" else name.lower() if case == "lower" else name


def _split_uri(name: str) -> DatasetId | None:
    """``s3://bucket/key`` -> ``(s3://bucket, key)``; ``file:///tmp/x`` -> ``(file, /tmp/x)``."""
    if "://" not in name:
        return None
    parts = urlsplit(name)
    if not parts.scheme or parts.scheme.lower() == "unknown":
        return None
    if parts.scheme == "file" and not parts.netloc:
        return DatasetId("file", parts.path)
    if not parts.netloc:
        return None
    return DatasetId(f"{parts.scheme}://{parts.netloc}", parts.path.lstrip("/") or "/")


def _name_in(namespace: str, name: str, kind: DatasetKind) -> str:
    """Object stores name a file by its key, without the leading slash of a local path."""
    if kind is DatasetKind.FILE and "://" in namespace and not namespace.startswith("file:"):
        return name.lstrip("/")
    return name
