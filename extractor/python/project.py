"""The Python files of the scanned repository as importable modules.

Each file is parsed with libcst (once, when first needed) together with node positions.
Imports between files of the repository are resolved the way Python would for a script run from
its own directory or from the repository root (``src/`` layouts too), so helpers, constants and
functions of other modules are followed instead of becoming unknowns.
"""

from __future__ import annotations

import ast
import io
import keyword
import posixpath
import tokenize
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast, overload

from .notebooks import NotebookError, databricks_source, notebook_cells

if TYPE_CHECKING:  # libcst loads when a module is first parsed, not when files are listed
    import libcst as cst
    from libcst.metadata import CodeRange

    from ..sources import SourceFile
    from .values import Value


@dataclass
class Unit:
    """One parsed piece of a file: the whole ``.py`` file, or one notebook cell."""

    module: cst.Module
    positions: Mapping[cst.CSTNode, CodeRange]
    line_offset: int = 0
    source: str = ""
    _line_starts: list[int] | None = field(default=None, repr=False)

    def line(self, node: cst.CSTNode) -> int:
        pos = self.positions.get(node)
        return pos.start.line + self.line_offset if pos is not None else 0

    def column(self, node: cst.CSTNode) -> int:
        pos = self.positions.get(node)
        return pos.start.column + 1 if pos is not None else 0

    def code(self, node: cst.CSTNode) -> str:
        """The node's source text, whitespace normalised.

        Sliced from the source by position: ``code_for_node`` re-prints the subtree, which makes a
        chain of n calls cost n² (a 2,000-long ``.copy()`` chain took minutes)."""
        pos = self.positions.get(node)
        if pos is not None and self.source:
            if self._line_starts is None:
                self._line_starts = [0, *(i + 1 for i, ch in enumerate(self.source) if ch == "\n")]
            starts = self._line_starts
            if pos.start.line <= len(starts) and pos.end.line <= len(starts):
                begin = starts[pos.start.line - 1] + pos.start.column
                end = starts[pos.end.line - 1] + pos.end.column
                return " ".join(self.source[begin:end].split())
        try:
            return " ".join(self.module.code_for_node(node).split())
        except Exception:  # pragma: no cover - code generation of a parsed node does not fail
            return type(node).__name__

    def _offset(self, line: int, column: int) -> int:
        """Character offset of a 1-based line and 0-based column (libcst's positions count characters)."""
        if self._line_starts is None:
            starts = [0]
            for i, ch in enumerate(self.source):
                if ch == "\n":
                    starts.append(i + 1)
            self._line_starts = starts
        starts = self._line_starts
        return starts[min(line, len(starts)) - 1] + column


@dataclass
class SyntaxProblem:
    line: int
    column: int
    message: str


@dataclass
class ModuleInfo:
    """A file of the repository as a module: its parsed units and, once run, its globals."""

    path: str
    name: str
    text: str
    units: list[Unit] | None = None
    problems: list[SyntaxProblem] = field(default_factory=list)
    notebook_error: str | None = None
    state: str = "new"  # new -> running -> done
    globals: dict[str, Value] = field(default_factory=dict)

    @property
    def is_notebook(self) -> bool:
        return self.path.endswith(".ipynb")

    @property
    def directory(self) -> str:
        return posixpath.dirname(self.path)

    @property
    def is_package(self) -> bool:
        return self.path.endswith("/__init__.py") or self.path == "__init__.py"

    def parse(self) -> list[Unit]:
        """Parse once; syntax errors are kept in ``problems`` (one per failed unit)."""
        if self.units is not None:
            return self.units
        units: list[Unit] = []
        if self.is_notebook:
            try:
                cells = notebook_cells(self.text)
            except NotebookError as e:
                self.notebook_error = str(e)
                cells = []
            for cell in cells:
                unit = self._parse_one(cell.code, cell.line_offset)
                if unit is not None:
                    units.append(unit)
        else:
            unit = self._parse_one(databricks_source(self.text), 0)
            if unit is not None:
                units.append(unit)
        self.units = units
        return units

    def _parse_one(self, code: str, offset: int) -> Unit | None:
        too_deep = nesting_problem(code)
        if too_deep is not None:
            self.problems.append(SyntaxProblem(too_deep[0] + offset, too_deep[1], too_deep[2]))
            return None
        import libcst as cst

        try:
            module = cst.parse_module(code)
        except cst.ParserSyntaxError as e:
            self.problems.append(_syntax_problem(code, offset, e))
            return None
        except (RecursionError, MemoryError, ValueError) as e:
            self.problems.append(SyntaxProblem(1 + offset, 1, f"cannot parse: {type(e).__name__}"))
            return None
        except Exception as e:  # libcst rejects some code Python rejects too (CSTValidationError): a syntax error
            problem = _syntax_problem(code, offset, None)
            self.problems.append(problem or SyntaxProblem(1 + offset, 1, f"cannot parse: {type(e).__name__}: {e}"))
            return None
        return Unit(module, _positions(module), offset, code)


#: Deepest nesting libcst is given. CPython itself refuses more than 200 nested brackets and 100
#: indentation levels; libcst's native parser recurses on the C stack per level and would crash
#: the whole process (not raise) far enough beyond that, so deeper code is refused before parsing.
MAX_BRACKETS = 200
MAX_INDENT = 100
#: libcst's parser is superlinear in trailer chains (500 calls take 1.2 s, 1,000 take 7 s, 2,000 a minute);
#: a 400-step Spark `.withColumn` chain is real code and must pass.
MAX_TRAILERS = 1000  # `.copy()` is two: the attribute and the call
MAX_PREFIX_CHAIN = 200  # `not not not …`, `- - - x`, `lambda: lambda: …` nest without brackets
_OPEN, _CLOSE = frozenset("([{"), frozenset(")]}")
_PREFIX_OPS = frozenset({"-", "+", "~", "not", "lambda", "await", "*", "**", ":"})


def nesting_problem(code: str) -> tuple[int, int, str] | None:
    """(line, column, message) when ``code`` nests deeper than libcst can safely parse, else None.

    Measured with the stdlib tokenizer (no parsing, so no recursion): brackets, indentation and
    runs of prefix operators. Tokenizer errors are left to the parser to report."""
    brackets = indent = chain = 0
    trailers = [0]  # per bracket depth: `.name`, `(…)`, `[…]` trailers in a row (a.b().c()[0] …)
    previous: tokenize.TokenInfo | None = None
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            kind, text = token.type, token.string
            trailer = kind == tokenize.OP and (
                text == "." or (text in "([" and previous is not None and _ends_primary(previous))
            )
            if trailer:
                trailers[-1] += 1
                if trailers[-1] > MAX_TRAILERS:
                    message = _too_deep(f"a chain of more than {MAX_TRAILERS} attributes, calls and subscripts")
                    return (token.start[0], token.start[1] + 1, message)
            elif (
                not (kind == tokenize.NAME and previous is not None and previous.string == ".")
                and not (kind == tokenize.OP and text in _CLOSE)
                and kind not in (tokenize.NL, tokenize.COMMENT)
            ):
                trailers[-1] = 0
            if kind == tokenize.OP and text in _OPEN:
                trailers.append(0)
                brackets += 1
                if brackets > MAX_BRACKETS:
                    return (
                        *token.start[:1],
                        token.start[1] + 1,
                        _too_deep(f"more than {MAX_BRACKETS} nested brackets"),
                    )
            elif kind == tokenize.OP and text in _CLOSE:
                brackets = max(0, brackets - 1)
                if len(trailers) > 1:
                    trailers.pop()
            elif kind == tokenize.INDENT:
                indent += 1
                if indent > MAX_INDENT:
                    return (token.start[0], 1, _too_deep(f"more than {MAX_INDENT} indentation levels"))
            elif kind == tokenize.DEDENT:
                indent = max(0, indent - 1)
            if (kind == tokenize.OP or kind == tokenize.NAME) and text in _PREFIX_OPS:
                chain += 1
                if chain > MAX_PREFIX_CHAIN:
                    return (
                        token.start[0],
                        token.start[1] + 1,
                        _too_deep(f"more than {MAX_PREFIX_CHAIN} operators in a row"),
                    )
            elif kind not in (tokenize.NL, tokenize.COMMENT):
                chain = 0
            if kind not in (tokenize.NL, tokenize.COMMENT):
                previous = token
    except (tokenize.TokenError, SyntaxError, ValueError):
        return None
    return None


def _ends_primary(token: tokenize.TokenInfo) -> bool:
    """Whether ``token`` can end an expression that a ``(``/``[`` after it calls or subscripts."""
    if token.type == tokenize.NAME:
        return not keyword.iskeyword(token.string) or token.string in ("None", "True", "False")
    return token.type == tokenize.STRING or (token.type == tokenize.OP and token.string in ")]")


def _too_deep(what: str) -> str:
    return f"nested too deeply to parse safely ({what}); the file is skipped"


@overload
def _syntax_problem(code: str, offset: int, error: cst.ParserSyntaxError) -> SyntaxProblem: ...
@overload
def _syntax_problem(code: str, offset: int, error: None) -> SyntaxProblem | None: ...
def _syntax_problem(code: str, offset: int, error: cst.ParserSyntaxError | None) -> SyntaxProblem | None:
    """Where the code is wrong: Python's own parser pinpoints it better than libcst's (which
    reports the token after the problem); only parsed, never compiled or run."""
    try:
        with warnings.catch_warnings():  # only the error is wanted, not SyntaxWarnings on stderr
            warnings.simplefilter("ignore")
            ast.parse(code)
    except SyntaxError as e:
        return SyntaxProblem((e.lineno or 1) + offset, e.offset or 1, e.msg)
    except (ValueError, RecursionError, MemoryError):
        pass
    if error is None:
        return None
    message = " ".join(error.message.split())
    return SyntaxProblem(error.editor_line + offset, error.editor_column, f"not supported by the parser: {message}")


def _positions(module: cst.Module) -> Mapping[cst.CSTNode, CodeRange]:
    """``PositionProvider`` for one module.

    ``MetadataWrapper.resolve`` also walks the whole tree once for batchable providers even when
    there are none, which costs as much as the positions themselves; running the provider's
    generator directly skips that walk. The public call is the fallback.
    """
    from libcst.metadata import MetadataWrapper, PositionProvider

    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    try:
        return cast("Mapping[cst.CSTNode, CodeRange]", PositionProvider()._gen(wrapper))
    except AttributeError:  # pragma: no cover - a libcst without the private generator
        return wrapper.resolve(PositionProvider)


#: Files an Airflow operator may name as its SQL template (``sql="queries/load.sql"``).
TEMPLATE_EXTENSIONS = (".sql", ".hql", ".sql.j2", ".sql.jinja", ".j2", ".jinja", ".jinja2", ".ddl", ".dml")


def module_name(path: str) -> str:
    """``pkg/sub/mod.py`` -> ``pkg.sub.mod``; ``pkg/__init__.py`` -> ``pkg``."""
    stem = path.rsplit(".", 1)[0]
    if stem.endswith("/__init__") or stem == "__init__":
        stem = stem[: -len("__init__")].rstrip("/")
    return stem.replace("/", ".").replace("-", "_")


def _parent(directory: str) -> str:
    """The parent directory, and "" at the top: a path outside the scanned root (a scan whose
    --config lives elsewhere) is absolute, and ``dirname("/")`` is "/" again, forever."""
    parent = posixpath.dirname(directory)
    return "" if parent == directory else parent


class Project:
    """All Python modules of the scan, addressable by path and by import."""

    def __init__(self, sources: Sequence[SourceFile]) -> None:
        self.modules: dict[str, ModuleInfo] = {}
        self.directories: set[str] = set()
        for source in sources:
            self.modules[source.path] = ModuleInfo(source.path, module_name(source.path), source.text)
            directory = posixpath.dirname(source.path)
            while directory:
                self.directories.add(directory)
                directory = _parent(directory)

    def bases(self, importer: ModuleInfo) -> list[str]:
        """Directories an absolute import is looked up from, nearest first."""
        result: list[str] = []
        directory = importer.directory
        while True:
            result.append(directory)
            parent = posixpath.dirname(directory)
            if not directory or parent == directory:
                break
            directory = _parent(directory)
        if "src" in self.directories and "src" not in result:
            result.append("src")
        return result

    def lookup(self, base: str, dotted: str) -> tuple[ModuleInfo | None, str | None]:
        """The module or package directory ``dotted`` names under ``base``."""
        rel = dotted.replace(".", "/")
        candidate = posixpath.join(base, rel) if base else rel
        for path in (candidate + ".py", candidate + "/__init__.py", candidate + ".ipynb"):
            info = self.modules.get(path)
            if info is not None:
                return info, candidate if path.endswith("__init__.py") else None
        if candidate in self.directories:
            return None, candidate
        return None, None

    def resolve(self, importer: ModuleInfo, dotted: str, level: int = 0) -> tuple[ModuleInfo | None, str | None]:
        """Resolve ``import dotted`` / ``from .. import`` in ``importer`` to a repository module."""
        if level:
            base = importer.directory
            for _ in range(level - 1):
                base = posixpath.dirname(base)
            if not dotted:
                info = self.modules.get(posixpath.join(base, "__init__.py") if base else "__init__.py")
                return info, base
            return self.lookup(base, dotted)
        for base in self.bases(importer):
            found = self.lookup(base, dotted)
            if found != (None, None):
                return found
        return None, None
