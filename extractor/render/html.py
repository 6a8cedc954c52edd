"""The self-contained interactive HTML page; no network at view time (no CDN, no external script).

``render_explorer`` is the lineage explorer: the graph as JSON, drawn on a canvas by
``assets/explorer.js`` (pan, zoom, fit, search, column trace, edge details, side panel).
"""

from __future__ import annotations

import html
import json
from importlib import resources

_EXPLORER = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="datatrail">
<title>{title}</title>
<style>
{css}
</style>
</head>
<body>
<header><strong>{title}</strong>
<div id="search"><input id="q" type="search" placeholder="Search datasets and columns… ( / )" aria-label="search"
 autocomplete="off"><ul id="results" role="listbox"></ul></div>
<span id="count"></span>
<button id="fit" title="fit to screen (f)">fit</button><button id="zin" title="zoom in (+)">+</button>
<button id="zout" title="zoom out (−)">−</button></header>
<main id="stage"><canvas id="canvas" aria-label="lineage diagram"></canvas><div id="tip"></div>
<div id="legend"><span>drag: pan · wheel/pinch: zoom · click a column: trace</span>
<span class="d">━ direct</span><span class="i">╍ indirect</span></div></main>
<aside id="panel"></aside>
<script type="application/json" id="datatrail-data">{data}</script>
<script>
{js}
</script>
</body>
</html>
"""


def _asset(name: str) -> str:
    return resources.files("extractor.render").joinpath("assets").joinpath(name).read_text(encoding="utf-8")


def render_explorer(data: dict[str, object]) -> str:
    """The explorer page for ``explorer.explorer_data(...)``: one file, script and styles inline."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # Inside <script>, "</" could close the element early; "<\\/" is the same JSON string.
    text = text.replace("</", "<\\/").replace("<!--", "<\\!--")
    title = html.escape(str(data.get("title", "datatrail lineage")))
    return _EXPLORER.format(title=title, css=_asset("explorer.css"), js=_asset("explorer.js"), data=text)
