"""Self-contained interactive HTML pages; no network at view time (no CDN, no external script).

``render_explorer`` is the lineage explorer: the graph as JSON, drawn on a canvas by
``assets/explorer.js`` (pan, zoom, fit, search, column trace, edge details, side panel).
``render_html`` wraps a Graphviz SVG with search and click-to-highlight.
"""

from __future__ import annotations

import html
import json
from importlib import resources

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
  body {{ margin: 0; font-family: Helvetica, Arial, sans-serif; }}
  header {{ padding: 8px 12px; background: #0f172a; color: white; display: flex; gap: 12px; align-items: center; }}
  header input {{ padding: 4px 8px; width: 320px; }}
  #canvas {{ overflow: auto; height: calc(100vh - 48px); }}
  #canvas svg {{ transform-origin: 0 0; }}
  g.node.dim, g.edge.dim {{ opacity: 0.15; }}
  g.node.hit polygon, g.node.hit path {{ stroke: #dc2626; stroke-width: 3px; }}
</style>
</head>
<body>
<header><strong>{title}</strong>
<input id="q" type="search" placeholder="Search datasets and columns…" aria-label="search">
<span id="n"></span><button id="z-in">+</button><button id="z-out">−</button><button id="reset">reset</button></header>
<div id="canvas">
{svg}
</div>
<script>
(function () {{
  const svg = document.querySelector('#canvas svg');
  let zoom = 1;
  const setZoom = z => {{ zoom = z; svg.style.transform = 'scale(' + z + ')'; }};
  document.getElementById('z-in').onclick = () => setZoom(zoom * 1.25);
  document.getElementById('z-out').onclick = () => setZoom(zoom / 1.25);
  const nodes = Array.from(svg.querySelectorAll('g.node'));
  const edges = Array.from(svg.querySelectorAll('g.edge'));
  const reset = () => {{ nodes.concat(edges).forEach(e => e.classList.remove('dim', 'hit'));
                        document.getElementById('n').textContent = ''; }};
  document.getElementById('reset').onclick = reset;
  document.getElementById('q').oninput = ev => {{
    const q = ev.target.value.trim().toLowerCase();
    reset();
    if (!q) return;
    let hits = 0;
    nodes.forEach(n => {{ if (n.textContent.toLowerCase().includes(q)) {{ n.classList.add('hit'); hits++; }}
                          else n.classList.add('dim'); }});
    edges.forEach(e => e.classList.add('dim'));
    document.getElementById('n').textContent = hits + ' match' + (hits === 1 ? '' : 'es');
  }};
  nodes.forEach(n => n.addEventListener('click', () => {{
    const id = n.id;
    const title = (n.querySelector('title') || {{}}).textContent || '';
    reset();
    const linked = new Set([title]);
    edges.forEach(e => {{
      const t = (e.querySelector('title') || {{}}).textContent || '';
      const [a, b] = t.split('->').map(s => s.split(':')[0]);
      if (a === title || b === title) {{ linked.add(a); linked.add(b); }} else e.classList.add('dim');
    }});
    nodes.forEach(m => {{ const t = (m.querySelector('title') || {{}}).textContent || '';
                          if (!linked.has(t)) m.classList.add('dim'); }});
  }}));
}})();
</script>
</body>
</html>
"""


def render_html(svg: str, title: str = "datatrail lineage") -> str:
    """Wrap an SVG diagram (from Graphviz) in an interactive page."""
    start = svg.find("<svg")
    return _PAGE.format(title=html.escape(title), svg=svg[start:] if start >= 0 else svg)


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
