"""Indented JSON text, byte for byte what ``json.dumps(value, indent=2, ensure_ascii=False)`` gives.

The standard library's C encoder does not indent; with ``indent`` set, ``json`` falls back to a
generator per value, which took ~0.7 s of a 1,200-model ``scan -o lineage.json``. This writer
appends to one list with the C string escaper and is about twice as fast. Anything it does not
know (floats, keys that are not strings) is left to ``json`` itself, so the text never differs.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring
from typing import Any


def dumps(value: Any) -> str:
    """``json.dumps(value, indent=2, ensure_ascii=False)``."""
    out: list[str] = []
    _write(value, "", out.append)
    return "".join(out)


def _write(value: Any, indent: str, emit: Any) -> None:
    kind = type(value)
    if kind is str:
        emit(encode_basestring(value))
    elif kind is dict:
        if not value:
            emit("{}")
            return
        inner = indent + "  "
        separator = "{\n" + inner
        for key, item in value.items():
            emit(separator)
            separator = ",\n" + inner
            emit(encode_basestring(key) if type(key) is str else json.dumps({key: 0})[1:-4])
            emit(": ")
            _write(item, inner, emit)
        emit("\n" + indent + "}")
    elif kind is list or kind is tuple:
        if not value:
            emit("[]")
            return
        inner = indent + "  "
        separator = "[\n" + inner
        for item in value:
            emit(separator)
            separator = ",\n" + inner
            _write(item, inner, emit)
        emit("\n" + indent + "]")
    elif value is None:
        emit("null")
    elif value is True:
        emit("true")
    elif value is False:
        emit("false")
    elif kind is int:
        emit(int.__repr__(value))
    else:  # floats (nan, inf, repr), int subclasses, or what json refuses: exactly as json does
        emit(json.dumps(value, ensure_ascii=False))
