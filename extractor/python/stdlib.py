"""What the interpreter knows of Python itself and its standard library.

Builtins (``str``, ``open``, ``list``, ``zip`` …), ``os.path`` and ``pathlib`` path building,
``os.getenv``, string formatting and string/list/dict methods, ``argparse`` parsers and ``typer``
options: enough to resolve paths, table names and SQL built from constants.
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from ..model import DatasetKind
from .frames import Frame
from .interpreter import REGISTRY, UNROLL_LIMIT, Args, Ctx, Interpreter, Site
from .objects import ArgParser, FileHandle, Namespace
from .values import (
    NONE,
    Alt,
    Const,
    DictVal,
    ListVal,
    Str,
    Unknown,
    Value,
    alternatives,
    as_str,
    const_key,
    format_string,
    join_path,
    options,
    path_name,
    path_parent,
)

BuiltinFn = Callable[[Interpreter, Args, Ctx, cst.CSTNode], Value]
BuiltinMethod = Callable[[Interpreter, Value, Args, Ctx, cst.CSTNode], "Value | None"]


def _b_str(interp: Interpreter, args: Args, ctx: Ctx, node: cst.CSTNode) -> Value:
    value = args.get(0)
    if value is None:
        return Str.of("")
    s = as_str(value)
    return s if s is not None and not isinstance(value, Unknown) else Unknown(interp.code(ctx, node), "str()")


def _b_open(interp: Interpreter, args: Args, ctx: Ctx, node: cst.CSTNode) -> Value:
    path = args.get(0, "file") or Unknown("file")
    mode = args.get(1, "mode")
    writing = isinstance(mode, Str) and mode.exact is not None and any(c in mode.exact for c in "wax+")
    return FileHandle(path, writing)


def _b_list(interp: Interpreter, args: Args, ctx: Ctx, node: cst.CSTNode) -> Value:
    value = args.get(0)
    if value is None:
        return ListVal()
    if isinstance(value, ListVal):
        return ListVal(value.items)
    if isinstance(value, DictVal):
        return ListVal([Str.of(k) if isinstance(k, str) else Const(k) for k in value.items])
    if isinstance(value, Frame):
        return ListVal([Str.of(c) for c in value.columns if c != "*"]) if not value.open else Unknown("columns")
    return Unknown(interp.code(ctx, node), "list()")


def _b_dict(interp: Interpreter, args: Args, ctx: Ctx, node: cst.CSTNode) -> Value:
    base = args.get(0)
    result = DictVal(
        dict(base.items) if isinstance(base, DictVal) else {}, base is not None and not isinstance(base, DictVal)
    )
    result.items.update(args.kw)
    return result


def _b_enumerate(interp: Interpreter, args: Args, ctx: Ctx, node: cst.CSTNode) -> Value:
    value = args.get(0)
    if isinstance(value, ListVal):
        return ListVal([ListVal([Const(i), v], "tuple") for i, v in enumerate(value.items)])
    return Unknown(interp.code(ctx, node))


def _b_zip(interp: Interpreter, args: Args, ctx: Ctx, node: cst.CSTNode) -> Value:
    if args.pos and all(isinstance(a, ListVal) for a in args.pos):
        lists = [a.items for a in args.pos if isinstance(a, ListVal)]
        return ListVal([ListVal(list(t), "tuple") for t in zip(*lists, strict=False)])
    return Unknown(interp.code(ctx, node))


def _b_range(interp: Interpreter, args: Args, ctx: Ctx, node: cst.CSTNode) -> Value:
    nums = [a.value for a in args.pos if isinstance(a, Const) and isinstance(a.value, int)]
    if len(nums) == len(args.pos) and 1 <= len(nums) <= 3:
        r = range(*nums)
        if len(r) <= UNROLL_LIMIT:
            return ListVal([Const(i) for i in r])
    return Unknown(interp.code(ctx, node), "range")


def _b_passthrough(interp: Interpreter, args: Args, ctx: Ctx, node: cst.CSTNode) -> Value:
    value = args.get(0)
    if isinstance(value, ListVal):
        return ListVal(value.items)
    return value if value is not None else Unknown(interp.code(ctx, node))


def _b_opaque(interp: Interpreter, args: Args, ctx: Ctx, node: cst.CSTNode) -> Value:
    return Unknown(interp.code(ctx, node), "builtin")


def _b_super(interp: Interpreter, args: Args, ctx: Ctx, node: cst.CSTNode) -> Value:
    return Unknown("super()", "super")


def _b_getattr(interp: Interpreter, args: Args, ctx: Ctx, node: cst.CSTNode) -> Value:
    obj = args.get(0)
    name = args.get(1)
    if obj is not None and isinstance(name, Str) and name.exact:
        return interp.attribute(obj, name.exact, ctx, node)
    return args.get(2) or Unknown(interp.code(ctx, node), "getattr")


def _path_ctor(interp: Interpreter, args: Args, ctx: Ctx, node: cst.CSTNode) -> Value:
    if not args.pos:
        return Str.of("")
    return join_path(args.pos)


def _os_path_join(interp: Interpreter, args: Args, ctx: Ctx, node: cst.CSTNode) -> Value:
    if any(isinstance(a, Alt) for a in args.pos):
        combos: list[list[Value]] = [[]]
        for a in args.pos:
            combos = [[*c, o] for c in combos for o in options(a)]
        return alternatives(join_path(c) for c in combos[:16])
    return join_path(args.pos)


def _os_path_dirname(interp: Interpreter, args: Args, ctx: Ctx, node: cst.CSTNode) -> Value:
    value = args.get(0)
    s = as_str(value) if value is not None and not isinstance(value, Unknown) else None
    return path_parent(s) if s is not None else Unknown(interp.code(ctx, node), "dirname")


def _os_path_basename(interp: Interpreter, args: Args, ctx: Ctx, node: cst.CSTNode) -> Value:
    value = args.get(0)
    s = as_str(value) if value is not None and not isinstance(value, Unknown) else None
    return path_name(s) if s is not None else Unknown(interp.code(ctx, node), "basename")


def _identity_path(interp: Interpreter, args: Args, ctx: Ctx, node: cst.CSTNode) -> Value:
    value = args.get(0)
    return value if value is not None else Unknown(interp.code(ctx, node))


def _cwd(interp: Interpreter, args: Args, ctx: Ctx, node: cst.CSTNode) -> Value:
    return Str.of("")


def _getenv(interp: Interpreter, args: Args, ctx: Ctx, node: cst.CSTNode) -> Value:
    key = args.get(0, "key")
    default = args.get(1, "default")
    name = key.exact if isinstance(key, Str) and key.exact else None
    configured = interp.sink.env_value(name) if name else None
    if configured is not None and not isinstance(configured, Unknown):
        return configured
    if default is not None and not (isinstance(default, Const) and default.value is None):
        return default
    return Unknown(name or "env", f"environment variable {name or '?'} is not known statically")


_BUILTINS: dict[str, BuiltinFn] = {
    "builtins.str": _b_str,
    "builtins.open": _b_open,
    "builtins.list": _b_list,
    "builtins.tuple": _b_list,
    "builtins.set": _b_list,
    "builtins.sorted": _b_passthrough,
    "builtins.reversed": _b_passthrough,
    "builtins.dict": _b_dict,
    "builtins.enumerate": _b_enumerate,
    "builtins.zip": _b_zip,
    "builtins.range": _b_range,
    "builtins.super": _b_super,
    "builtins.getattr": _b_getattr,
    "builtins.len": _b_opaque,
    "builtins.print": _b_opaque,
    "builtins.isinstance": _b_opaque,
    "builtins.int": _b_opaque,
    "builtins.float": _b_opaque,
    "builtins.format": _b_opaque,
    "pathlib.Path": _path_ctor,
    "pathlib.PurePath": _path_ctor,
    "pathlib.PosixPath": _path_ctor,
    "os.path.join": _os_path_join,
    "posixpath.join": _os_path_join,
    "os.path.dirname": _os_path_dirname,
    "os.path.basename": _os_path_basename,
    "os.path.abspath": _identity_path,
    "os.path.realpath": _identity_path,
    "os.path.normpath": _identity_path,
    "os.path.expanduser": _identity_path,
    "os.fspath": _identity_path,
    "os.getcwd": _cwd,
    "pathlib.Path.cwd": _cwd,
    "os.getenv": _getenv,
    "os.environ.get": _getenv,
}


def _m_str(interp: Interpreter, receiver: Value, args: Args, ctx: Ctx, node: cst.CSTNode) -> Value | None:
    if not isinstance(receiver, Str):
        return None
    assert isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
    name = node.func.attr.value
    if name == "format":
        return format_string(receiver, args.pos, args.kw)
    if name in ("strip", "lstrip", "rstrip", "lower", "upper") and not args.pos:
        return receiver.map_text(getattr(str, name))
    if name == "replace" and len(args.pos) >= 2:
        old, new = args.pos[0], args.pos[1]
        if isinstance(old, Str) and isinstance(new, Str) and old.exact is not None and new.exact is not None:
            o, n = old.exact, new.exact
            return receiver.map_text(lambda t: t.replace(o, n))
    if name == "join" and args.pos:
        items = args.pos[0]
        if isinstance(items, ListVal) and all(isinstance(i, Str) for i in items.items):
            result = Str.of("")
            for i, item in enumerate(items.items):
                if i:
                    result = result.concat(receiver)
                assert isinstance(item, Str)
                result = result.concat(item)
            return result
    if name in ("joinpath", "with_name", "with_suffix", "resolve", "absolute", "expanduser"):
        if name == "joinpath":
            return join_path([receiver, *args.pos])
        if name == "with_suffix" and args.pos and isinstance(args.pos[0], Str) and receiver.exact is not None:
            suffix = args.pos[0].exact or ""
            base = receiver.exact
            stem = base.rsplit(".", 1)[0] if "." in base.rsplit("/", 1)[-1] else base
            return Str.of(stem + suffix, receiver.loc, receiver.anchored)
        if name in ("resolve", "absolute", "expanduser"):
            return receiver
    if name in ("as_posix", "__str__", "__fspath__"):
        return receiver
    if name in ("startswith", "endswith") and receiver.exact is not None and args.pos:
        arg = args.pos[0]
        if isinstance(arg, Str) and arg.exact is not None:
            return Const(getattr(receiver.exact, name)(arg.exact))
    if name == "format_map" and args.pos and isinstance(args.pos[0], DictVal):
        mapping = args.pos[0]
        return format_string(receiver, [], {k: v for k, v in mapping.items.items() if isinstance(k, str)})
    return Unknown(interp.code(ctx, node), "string method")


def _m_list(interp: Interpreter, receiver: Value, args: Args, ctx: Ctx, node: cst.CSTNode) -> Value | None:
    assert isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
    name = node.func.attr.value
    if isinstance(receiver, ListVal):
        if name == "append" and args.pos:
            receiver.items.append(args.pos[0])
            return NONE
        if name == "extend" and args.pos:
            other = args.pos[0]
            if isinstance(other, ListVal):
                receiver.items.extend(other.items)
            return NONE
        if name == "insert" and len(args.pos) >= 2:
            receiver.items.append(args.pos[1])
            return NONE
        if name == "copy":
            return ListVal(receiver.items, receiver.kind)
        if name == "add" and args.pos:
            receiver.items.append(args.pos[0])
            return NONE
        return None
    if isinstance(receiver, DictVal):
        if name == "get" and args.pos:
            key = const_key(args.pos[0])
            if key is not None and key in receiver.items:
                return receiver.items[key]
            default = args.get(1)
            if default is not None:
                return default
            return Unknown(interp.code(ctx, node), "dict key not known")
        if name in ("keys",):
            return ListVal([Str.of(k) if isinstance(k, str) else Const(k) for k in receiver.items])
        if name == "values":
            return ListVal(list(receiver.items.values()))
        if name == "items":
            return ListVal(
                [
                    ListVal([Str.of(k) if isinstance(k, str) else Const(k), v], "tuple")
                    for k, v in receiver.items.items()
                ]
            )
        if name == "update" and args.pos and isinstance(args.pos[0], DictVal):
            receiver.items.update(args.pos[0].items)
            return NONE
        if name == "update":
            receiver.items.update(args.kw)
            return NONE
        if name == "copy":
            return DictVal(receiver.items, receiver.partial)
        if name == "setdefault" and args.pos:
            key = const_key(args.pos[0])
            if key is not None:
                return receiver.items.setdefault(key, args.get(1) or NONE)
        return None
    return None


def _m_argparse(interp: Interpreter, receiver: Value, args: Args, ctx: Ctx, node: cst.CSTNode) -> Value | None:
    assert isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
    name = node.func.attr.value
    if not isinstance(receiver, ArgParser):
        return None
    if name == "add_argument":
        names = [a.exact for a in args.pos if isinstance(a, Str) and a.exact]
        dest = args.kw.get("dest")
        if isinstance(dest, Str) and dest.exact:
            key = dest.exact
        else:
            longs = [n for n in names if n.startswith("--")]
            plain = [n for n in names if not n.startswith("-")]
            chosen = plain[0] if plain else longs[0] if longs else names[0] if names else ""
            key = chosen.lstrip("-").replace("-", "_")
        default = args.kw.get("default")
        if key:
            receiver.defaults[key] = (
                default if default is not None else Unknown(f"args.{key}", "argument without default")
            )
        return NONE
    if name in ("parse_args", "parse_known_args"):
        ns = Namespace(receiver)
        return ns if name == "parse_args" else ListVal([ns, ListVal()], "tuple")
    if name in ("add_argument_group", "add_mutually_exclusive_group"):
        return receiver
    if name == "set_defaults":
        receiver.defaults.update(args.kw)
        return NONE
    return NONE


def _dispatch_method(interp: Interpreter, receiver: Value, args: Args, ctx: Ctx, node: cst.CSTNode) -> Value | None:
    for handler in (_m_str, _m_list, _m_argparse):
        result = handler(interp, receiver, args, ctx, node)
        if result is not None:
            return result
    return None


_METHODS: dict[str, BuiltinMethod] = dict.fromkeys(
    " ".join(
        [
            "format strip lstrip rstrip lower upper replace join joinpath with_name",
            "with_suffix resolve absolute expanduser as_posix __str__ __fspath__ startswith endswith format_map",
            "append extend insert copy add get keys values items update",
            "setdefault add_argument parse_args parse_known_args add_argument_group",
            "add_mutually_exclusive_group set_defaults",
        ]
    ).split(),
    _dispatch_method,
)


@REGISTRY.function("typer.Option", "typer.Argument", "typer.params.Option", "typer.params.Argument")
def _typer_default(interp: Interpreter, site: Site) -> Value:
    """``def main(path: str = typer.Option("data/x.csv"))``: the parameter's default."""
    value = site.args.get(0, "default")
    if value is None or (isinstance(value, Const) and value.value in (None, Ellipsis)):
        return Unknown(interp.code(site.ctx, site.node), "command-line option without default")
    return value


@REGISTRY.function("argparse.ArgumentParser")
def _argparse(interp: Interpreter, site: Site) -> Value:
    return ArgParser()


def _adapt(fn: BuiltinFn) -> Callable[[Interpreter, Site], Value]:
    def handler(interp: Interpreter, site: Site) -> Value:
        return fn(interp, site.args, site.ctx, site.node)

    return handler


for _qname, _fn in _BUILTINS.items():
    REGISTRY.exact.setdefault(_qname, _adapt(_fn))


def _method(interp: Interpreter, receiver: Value, site: Site) -> Value | None:
    if site.name not in _METHODS:
        return None
    return _dispatch_method(interp, receiver, site.args, site.ctx, site.node)


for _kind in (Str, ListVal, DictVal, ArgParser):
    REGISTRY.method(_kind)(_method)


@REGISTRY.method(FileHandle)
def _file_method(interp: Interpreter, receiver: Value, site: Site) -> Value | None:
    """``f.write(df.to_json())`` / ``open(p, "w").write(text)``: data written to the file's path."""
    assert isinstance(receiver, FileHandle)
    if site.name not in ("write", "writelines") or not receiver.writing:
        return None
    data = site.args.get(0)
    if data is not None and interp.data_in(data):
        paths = interp.sink.path_names(interp, site.ctx, site.node, receiver.path)
        interp.sink.write(interp, site.ctx, site.node, data, paths, DatasetKind.FILE, f"file.{site.name}")
    return NONE
