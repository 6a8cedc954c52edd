"""The block tags dbt adds to Jinja, so project and package macro files compile.

``{% test %}`` / ``{% data_test %}`` become macros (``test_<name>``) that are never called;
``{% materialization %}`` and ``{% docs %}`` blocks are parsed and dropped; the body of a
``{% snapshot %}`` block renders in place (snapshot files are split per block beforehand).
"""

from __future__ import annotations

from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.parser import Parser


class DbtTagsExtension(Extension):
    tags = {"test", "data_test", "materialization", "docs", "snapshot", "unit_test"}  # noqa: RUF012 - Jinja's API

    def parse(self, parser: Parser) -> nodes.Node | list[nodes.Node]:
        token = next(parser.stream)
        tag = str(token.value)
        end = f"name:end{tag}"
        if tag in ("test", "data_test"):
            macro = nodes.Macro(lineno=token.lineno)
            macro.name = f"test_{parser.parse_assign_target(name_only=True).name}"
            parser.parse_signature(macro)
            macro.body = parser.parse_statements((end,), drop_needle=True)
            return macro
        if tag == "snapshot":
            parser.parse_assign_target(name_only=True)
            return parser.parse_statements((end,), drop_needle=True)
        while parser.stream.current.type != "block_end":  # materialization name, adapter='x'
            next(parser.stream)
        parser.parse_statements((end,), drop_needle=True)
        return []
