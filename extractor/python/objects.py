"""Abstract values for the program structure: functions, classes, instances, modules, objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from .values import Value

if TYPE_CHECKING:
    from .project import ModuleInfo, Unit


class FunctionVal(Value):
    """A function or lambda of the repository, with the scope it closes over."""

    __slots__ = ("closure", "cls", "decorators", "defaults", "module", "name", "node", "option_defaults", "unit")

    def __init__(
        self,
        node: cst.FunctionDef | cst.Lambda,
        module: ModuleInfo,
        unit: Unit,
        name: str,
        closure: tuple[dict[str, Value], ...],
        defaults: dict[str, Value],
    ) -> None:
        self.node = node
        self.module = module
        self.unit = unit
        self.name = name
        self.closure = closure
        self.defaults = defaults
        self.decorators: list[Value] = []
        self.option_defaults: dict[str, Value] = {}  # click / typer options
        self.cls: ClassVal | None = None

    def __repr__(self) -> str:
        return f"FunctionVal({self.module.path}:{self.name})"

    @property
    def qualname(self) -> str:
        return f"{self.module.name}.{self.name}"

    def has_decorator(self, *suffixes: str) -> bool:
        from .values import QName

        for d in self.decorators:
            name = d.name if isinstance(d, QName) else d.qname if isinstance(d, Obj) else None
            if name and any(name == s or name.endswith("." + s) for s in suffixes):
                return True
        return False


class ClassVal(Value):
    """A class of the repository: its methods and class attributes."""

    __slots__ = ("attrs", "bases", "module", "name", "node")

    def __init__(self, node: cst.ClassDef, module: ModuleInfo, name: str, bases: list[Value]) -> None:
        self.node = node
        self.module = module
        self.name = name
        self.bases = bases
        self.attrs: dict[str, Value] = {}

    def __repr__(self) -> str:
        return f"ClassVal({self.name})"

    def lookup(self, name: str, depth: int = 0) -> Value | None:
        if name in self.attrs:
            return self.attrs[name]
        if depth > 10:
            return None
        for base in self.bases:
            if isinstance(base, ClassVal):
                found = base.lookup(name, depth + 1)
                if found is not None:
                    return found
        return None

    def external_bases(self, depth: int = 0) -> list[str]:
        from .values import QName

        names: list[str] = []
        for base in self.bases:
            if isinstance(base, QName):
                names.append(base.name)
            elif isinstance(base, ClassVal) and depth < 10:
                names.extend(base.external_bases(depth + 1))
        return names


class Trainable:
    """Mixin of values a model can be trained into: what they saw and where they were loaded from."""

    trained: list[Value]
    loaded_from: set[str]


class Instance(Value, Trainable):
    """An instance of a repository class."""

    __slots__ = ("attrs", "cls", "loaded_from", "trained")

    def __init__(self, cls: ClassVal) -> None:
        self.cls = cls
        self.attrs: dict[str, Value] = {}
        self.trained: list[Value] = []
        self.loaded_from: set[str] = set()

    def __repr__(self) -> str:
        return f"Instance({self.cls.name})"


class Obj(Value, Trainable):
    """An object made by code outside the repository (an engine, a client, an estimator …)."""

    __slots__ = ("attrs", "dialect", "kind", "last_result", "loaded_from", "qname", "trained")

    def __init__(self, qname: str, kind: str = "object", dialect: str | None = None) -> None:
        self.qname = qname
        self.kind = kind  # object | estimator | cursor
        self.dialect = dialect  # the SQL dialect of a connection, when known (its URL, its library)
        self.attrs: dict[str, Value] = {}
        self.trained: list[Value] = []
        self.loaded_from: set[str] = set()
        self.last_result: Value | None = None

    def __repr__(self) -> str:
        return f"Obj({self.qname}, {self.kind})"


@dataclass(frozen=True)
class BoundMethod(Value):
    """``obj.method`` taken as a value (``python_callable=self.run``, ``df.pipe(f)``)."""

    receiver: Value
    name: str


@dataclass(frozen=True)
class RepoModule(Value):
    """A module or package of the repository (``import pipelines.helpers as h``)."""

    info: ModuleInfo | None
    package_dir: str | None

    def __hash__(self) -> int:
        return hash((id(self.info), self.package_dir))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RepoModule) and other.info is self.info and other.package_dir == self.package_dir


@dataclass(frozen=True)
class FileHandle(Value):
    """``open(path, mode)``: the path and whether it is written."""

    path: Value
    writing: bool


@dataclass
class ArgParser(Value):
    """An ``argparse.ArgumentParser``: option defaults by destination name."""

    defaults: dict[str, Value] = field(default_factory=dict)

    def __hash__(self) -> int:
        return id(self)


@dataclass(frozen=True)
class Namespace(Value):
    """The result of ``parser.parse_args()``."""

    parser: ArgParser

    def __hash__(self) -> int:
        return id(self.parser)
