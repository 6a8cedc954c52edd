/* datatrail explorer: draws the laid-out lineage on a canvas; pan, zoom, fit, search, column trace.
 * Shipped inline in the page (no network). Reads the JSON in <script id="datatrail-data">.
 * window.datatrail exposes the state and a few actions so that browser tests can drive the page. */
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("datatrail-data").textContent);
  const HEADER = 22, ROW = 16;
  const S = D.strings, DS = D.datasets, E = D.edges;
  const stage = document.getElementById("stage");
  const canvas = document.getElementById("canvas");
  const ctx = canvas.getContext("2d");
  const tip = document.getElementById("tip");
  const panel = document.getElementById("panel");
  const view = { scale: 1, tx: 0, ty: 0, w: 0, h: 0 };
  // highlight: key "d:c" -> "direct" | "indirect"; edges: index -> "direct" | "indirect"
  let hl = null;
  let selected = null; // {d, c}
  let hoverEdge = -1;
  let frame = 0;

  // ---- indices ------------------------------------------------------------------------------
  const byName = new Map(DS.map((d, i) => [d.n, i]));
  const into = new Map(), out = new Map();
  const push = (m, k, v) => { const l = m.get(k); if (l) l.push(v); else m.set(k, [v]); };
  E.forEach((e, i) => { push(into, e[2] + ":" + e[3], i); push(out, e[0] + ":" + e[1], i); });
  const isDirect = e => { const st = S[e[4]]; return st === "IDENTITY" || st === "TRANSFORMATION" || st === "AGGREGATION"; };
  const covered = new Set(E.map(e => e[0] + ">" + e[2]));
  const bareTableEdges = D.tableEdges.filter(p => !covered.has(p[0] + ">" + p[1]));
  const groupCounts = D.groups.map(() => 0);
  DS.forEach(d => { groupCounts[d.g]++; });
  const nodeEdges = new Map();
  D.tableEdges.forEach(p => { push(nodeEdges, p[0], p[1]); });

  // ---- the column trace (same walk as extractor.render.explorer.column_trace) ------------------
  function walk(d, c, step, srcEnd) {
    const found = new Map(), edges = new Map();
    const queue = [[d, c, true]];
    const startKey = d + ":" + c;
    while (queue.length) {
      const [nd, nc, pathDirect] = queue.pop();
      for (const from of [nc, -1]) {
        for (const i of step.get(nd + ":" + from) || []) {
          const e = E[i];
          const direct = pathDirect && isDirect(e) && from !== -1;
          const od = srcEnd ? e[0] : e[2], oc = srcEnd ? e[1] : e[3];
          const cols = oc === -1 && DS[od].c.length ? DS[od].c.map((_, j) => j) : [oc];
          const prev = edges.get(i);
          if (prev === undefined || (direct && prev === "indirect")) edges.set(i, direct ? "direct" : "indirect");
          for (const j of cols) {
            const k = od + ":" + j;
            if (k === startKey) continue;
            const had = found.get(k);
            if (had === undefined || (direct && had === "indirect")) {
              found.set(k, direct ? "direct" : "indirect");
              queue.push([od, j, direct]);
            }
          }
        }
      }
    }
    return { found, edges };
  }

  function trace(d, c) {
    const up = walk(d, c, into, true), down = walk(d, c, out, false);
    const keys = new Map([...up.found, ...down.found]);
    keys.set(d + ":" + c, "direct");
    const edges = new Map(up.edges);
    for (const [i, k] of down.edges) if (!edges.has(i) || k === "direct") edges.set(i, k);
    const datasets = new Set([...keys.keys()].map(k => +k.split(":")[0]));
    return { up: up.found, down: down.found, keys, edges, datasets };
  }

  // A dataset's whole upstream and downstream over the table edges (every hop, not one).
  const feeds = new Map();
  D.tableEdges.forEach(p => { push(feeds, p[1], p[0]); });
  function reach(d, step) {
    const seen = new Set(), queue = [d];
    while (queue.length) for (const n of step.get(queue.pop()) || []) if (!seen.has(n) && n !== d) { seen.add(n); queue.push(n); }
    return seen;
  }
  function datasetTrace(d) {
    const upSets = reach(d, feeds), downSets = reach(d, nodeEdges);
    const inUp = n => n === d || upSets.has(n), inDown = n => n === d || downSets.has(n);
    const edges = new Map();
    E.forEach((e, i) => {
      if ((inUp(e[0]) && inUp(e[2])) || (inDown(e[0]) && inDown(e[2]))) edges.set(i, isDirect(e) ? "direct" : "indirect");
    });
    return { keys: new Map(), edges, datasets: new Set([d, ...upSets, ...downSets]), up: new Map(), down: new Map(),
             upSets, downSets };
  }

  const colName = (d, c) => DS[d].n + "." + (c === -1 ? "*" : DS[d].c[c]);

  // ---- geometry -----------------------------------------------------------------------------
  const toScreen = (x, y) => [x * view.scale + view.tx, y * view.scale + view.ty];
  const toWorld = (x, y) => [(x - view.tx) / view.scale, (y - view.ty) / view.scale];
  const portY = (d, c) => { const b = DS[d].b; return c < 0 ? b[1] + HEADER / 2 : b[1] + HEADER + ROW * c + ROW / 2; };
  function curve(e0, c0, e1, c1) {
    const a = DS[e0].b, b = DS[e1].b;
    const x1 = a[0] + a[2], y1 = portY(e0, c0), x2 = b[0], y2 = portY(e1, c1);
    if (x2 > x1) {
      const bend = Math.max(30, (x2 - x1) / 2);
      return [x1, y1, x1 + bend, y1, x2 - bend, y2, x2, y2];
    }
    // Back to an earlier column (the flow wrapped to the next band): a carriage return, as in
    // the docs' SVGs: out to the right, along the gap above the target, back in. Six points.
    const gy = b[1] > a[1] ? b[1] - 8 : Math.min(a[1], b[1]) - 8;
    return [x1, y1, x1 + 14, y1, x1 + 14, gy, x2 - 14, gy, x2 - 14, y2, x2, y2];
  }
  // A point halfway along a route, for tests and tooltips.
  const midpoint = p => p.length === 8
    ? [(p[0] + 3 * p[2] + 3 * p[4] + p[6]) / 8, (p[1] + 3 * p[3] + 3 * p[5] + p[7]) / 8]
    : [(p[4] + p[6]) / 2, (p[5] + p[7]) / 2];

  function resize() {
    const r = stage.getBoundingClientRect(), dpr = window.devicePixelRatio || 1;
    view.w = r.width; view.h = r.height;
    canvas.width = Math.round(r.width * dpr); canvas.height = Math.round(r.height * dpr);
    canvas.style.width = r.width + "px"; canvas.style.height = r.height + "px";
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    redraw();
  }

  function redraw() { if (!frame) frame = requestAnimationFrame(draw); }

  function visible(b, pad) {
    const [x0, y0] = toWorld(-pad, -pad), [x1, y1] = toWorld(view.w + pad, view.h + pad);
    return b[0] < x1 && b[0] + b[2] > x0 && b[1] < y1 && b[1] + b[3] > y0;
  }

  // Group-to-group edges weighted by the dataset edges between them: the map when zoomed out.
  const groupEdges = (() => {
    const w = new Map();
    for (const p of D.tableEdges) {
      const a = DS[p[0]].g, b = DS[p[1]].g;
      if (a !== b) w.set(a + ">" + b, (w.get(a + ">" + b) || 0) + 1);
    }
    return [...w].map(([k, n]) => { const [a, b] = k.split(">"); return [+a, +b, n]; });
  })();
  const groupBox = g => D.groups[g].slice(1);

  function draw() {
    frame = 0;
    const t0 = performance.now();
    ctx.save();
    ctx.clearRect(0, 0, view.w, view.h);
    ctx.translate(view.tx, view.ty);
    ctx.scale(view.scale, view.scale);
    const px = 1 / view.scale;
    const map = view.scale * HEADER < 5; // datasets too small to read: draw the map of groups
    const columns = view.scale > 0.35;
    const path = (p, target) => {
      target.moveTo(p[0], p[1]);
      if (p.length === 8) target.bezierCurveTo(p[2], p[3], p[4], p[5], p[6], p[7]);
      else for (let k = 2; k < p.length; k += 2) target.lineTo(p[k], p[k + 1]);
    };
    const stroke = (colour, width, dash, add) => {
      ctx.beginPath(); add(); ctx.strokeStyle = colour; ctx.lineWidth = width * px;
      ctx.setLineDash(dash.map(v => v * px)); ctx.stroke();
    };
    // groups
    ctx.beginPath();
    for (const g of D.groups) if (visible(g.slice(1), 0)) ctx.rect(g[1], g[2], g[3], g[4]);
    ctx.fillStyle = map ? "rgba(226,232,240,0.9)" : "rgba(226,232,240,0.35)"; ctx.fill();
    ctx.strokeStyle = "#94a3b8"; ctx.lineWidth = px; ctx.setLineDash([6 * px, 4 * px]); ctx.stroke();
    const edgeVisible = (a, b) => visible(DS[a].b, 0) || visible(DS[b].b, 0);
    if (map) {
      for (const [a, b, n] of groupEdges) {
        const p = groupBox(a), q = groupBox(b);
        const x1 = p[0] + p[2], y1 = p[1] + p[3] / 2, x2 = q[0], y2 = q[1] + q[3] / 2;
        const bend = x2 > x1 ? Math.max(30 * px, (x2 - x1) / 2) : 120 * px;
        stroke("#475569", Math.min(1 + Math.sqrt(n), 8), [], () => path([x1, y1, x1 + bend, y1, x2 - bend, y2, x2, y2], ctx));
      }
    } else if (!columns) {
      stroke(hl ? "rgba(71,85,105,0.15)" : "#64748b", 1, [], () => {
        for (const p of D.tableEdges) if (edgeVisible(p[0], p[1])) path(curve(p[0], -1, p[1], -1), ctx);
      });
    } else {
      // Batch edges by look: one stroke per style keeps a frame cheap with thousands of edges.
      const batches = new Map();
      for (let i = 0; i < E.length; i++) {
        const e = E[i];
        if (!edgeVisible(e[0], e[2])) continue;
        const k = hl && hl.edges.get(i);
        const look = hl && !k ? "dim" : k ? "hl-" + k : isDirect(e) ? "direct" : e[3] === -1 ? "wide" : "indirect";
        push(batches, look, i);
      }
      const looks = { dim: ["rgba(100,116,139,0.12)", 1, []], direct: ["#475569", 1, []], indirect: ["#94a3b8", 1, [5, 3]],
        wide: ["#94a3b8", 1, [1.5, 3]], "hl-indirect": ["#d97706", 2.2, [5, 3]], "hl-direct": ["#dc2626", 2.4, []] };
      for (const look of ["dim", "direct", "indirect", "wide", "hl-indirect", "hl-direct"]) {
        const list = batches.get(look);
        if (list) stroke(looks[look][0], looks[look][1], looks[look][2], () => { for (const i of list) path(curve(E[i][0], E[i][1], E[i][2], E[i][3]), ctx); });
      }
      stroke(hl ? "rgba(71,85,105,0.15)" : "#475569", 1.4, [], () => {
        for (const p of bareTableEdges) if (edgeVisible(p[0], p[1])) path(curve(p[0], -1, p[1], -1), ctx);
      });
    }
    if (hoverEdge >= 0) { const e = E[hoverEdge]; stroke("#2563eb", 3, [], () => path(curve(e[0], e[1], e[2], e[3]), ctx)); }
    ctx.setLineDash([]);
    // datasets: bodies and headers batched by colour, details only when legible
    const shown = [];
    for (let d = 0; d < DS.length; d++) if (visible(DS[d].b, 0)) shown.push(d);
    const fills = new Map();
    for (const d of shown) {
      const ds = DS[d], st = ds.st && D.status[ds.st];
      push(fills, st ? st[0] : D.kinds[ds.k][2], d);
    }
    const dimmed = d => hl && !hl.datasets.has(d);
    for (const alpha of [0.25, 1]) {
      ctx.globalAlpha = alpha;
      const mine = d => (alpha < 1) === Boolean(dimmed(d));
      ctx.beginPath(); for (const d of shown) if (mine(d)) { const b = DS[d].b; ctx.rect(b[0], b[1], b[2], b[3]); }
      ctx.fillStyle = "white"; ctx.fill();
      for (const [colour, list] of fills) {
        ctx.beginPath(); for (const d of list) if (mine(d)) { const b = DS[d].b; ctx.rect(b[0], b[1], b[2], map ? b[3] : HEADER); }
        ctx.fillStyle = colour; ctx.fill();
      }
      ctx.beginPath(); for (const d of shown) if (mine(d)) { const b = DS[d].b; ctx.rect(b[0], b[1], b[2], b[3]); }
      ctx.strokeStyle = "#64748b"; ctx.lineWidth = px; ctx.stroke();
    }
    ctx.globalAlpha = 1;
    for (const d of shown) {
      const ds = DS[d], st = ds.st && D.status[ds.st];
      if (st || (selected && selected.d === d)) {
        ctx.strokeStyle = st ? st[1] : "#dc2626"; ctx.lineWidth = 2.5 * px;
        ctx.strokeRect(ds.b[0], ds.b[1], ds.b[2], ds.b[3]);
      }
    }
    const text = view.scale * 11 >= 5, rows = view.scale * 11 >= 6;
    if (text) {
      for (const d of shown) {
        const ds = DS[d], b = ds.b;
        ctx.globalAlpha = dimmed(d) ? 0.35 : 1;
        ctx.fillStyle = "#0f172a"; ctx.font = "bold 11px Helvetica, Arial, sans-serif";
        ctx.fillText(D.kinds[ds.k][1] + " " + ds.n, b[0] + 6, b[1] + 15, b[2] - 10);
        if (!rows) continue;
        ctx.font = "11px Helvetica, Arial, sans-serif";
        for (let c = 0; c < ds.c.length; c++) {
          const y = b[1] + HEADER + ROW * c;
          const k = hl && hl.keys.get(d + ":" + c);
          const cst = ds.cst && ds.cst[ds.c[c]];
          if (k) { ctx.fillStyle = k === "direct" ? "#fecaca" : "#fef3c7"; ctx.fillRect(b[0] + 1, y, b[2] - 2, ROW); }
          else if (cst) { ctx.fillStyle = D.status[cst][0]; ctx.fillRect(b[0] + 1, y, b[2] - 2, ROW); }
          ctx.fillStyle = hl && !k ? "#94a3b8" : "#0f172a";
          ctx.fillText(ds.c[c], b[0] + 6, y + 12, b[2] - 10);
        }
      }
      ctx.globalAlpha = 1;
    }
    ctx.restore();
    // Group labels in screen space, so they stay readable at every zoom.
    ctx.font = "bold 12px Helvetica, Arial, sans-serif";
    for (let gi = 0; gi < D.groups.length; gi++) {
      const b = groupBox(gi);
      if (!visible(b, 0)) continue;
      const [x, y] = toScreen(b[0], b[1]), w = b[2] * view.scale;
      if (w < 24) continue;
      const label = D.groups[gi][0] + " (" + groupCounts[gi] + ")";
      ctx.fillStyle = "#1e293b";
      ctx.fillText(label, x + 4, y + (map ? Math.min(b[3] * view.scale / 2 + 4, 16) : 14), w - 8);
    }
    api.lastFrameMs = performance.now() - t0;
    api.frames++;
  }

  // ---- view actions -------------------------------------------------------------------------
  function zoomAt(factor, sx, sy) {
    const s = Math.min(4, Math.max(0.01, view.scale * factor));
    const [wx, wy] = toWorld(sx, sy);
    view.scale = s; view.tx = sx - wx * s; view.ty = sy - wy * s;
    redraw();
  }
  function fit() {
    const [w, h] = D.size;
    view.scale = Math.min(view.w / Math.max(w, 1), view.h / Math.max(h, 1), 1.5) * 0.97;
    view.tx = (view.w - w * view.scale) / 2; view.ty = (view.h - h * view.scale) / 2;
    redraw();
  }
  function centreOn(d, c) {
    const b = DS[d].b;
    view.scale = Math.max(view.scale, 1);
    const y = c === undefined || c < 0 ? b[1] + Math.min(b[3], 200) / 2 : portY(d, c);
    view.tx = view.w / 2 - (b[0] + b[2] / 2) * view.scale; view.ty = view.h / 2 - y * view.scale;
    redraw();
  }

  // ---- selection and the side panel ---------------------------------------------------------
  const esc = s => String(s).replace(/[&<>"]/g, ch => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[ch]);
  const tags = list => (list || []).map(t => '<span class="tag' + (/pii|personal|sensitive/i.test(t) ? " pii" : "") + '">' + esc(t) + "</span>").join("");

  function select(d, c) {
    selected = { d, c: c === undefined ? -1 : c };
    hl = c !== undefined && c >= 0 ? trace(d, c) : null;
    if (!hl) hl = datasetTrace(d);
    showPanel(d);
    redraw();
  }
  function clear() { selected = null; hl = null; panel.innerHTML = '<p class="muted">Click a dataset or a column.</p>'; redraw(); }

  function sourceLink(src) {
    const at = src.lastIndexOf(":"), path = src.slice(0, at), line = src.slice(at + 1);
    const href = (D.sourcePrefix ? D.sourcePrefix.replace(/\/?$/, "/") : "") + path + "#L" + line;
    return '<a href="' + esc(href) + '">' + esc(src) + "</a>";
  }

  function showPanel(d) {
    const ds = DS[d], kind = D.kinds[ds.k];
    let h = "<h2>" + esc(kind[1] + " " + ds.n) + '</h2><div class="muted">' + esc(kind[3]) + " · " +
      esc(D.groups[ds.g][0]) + "</div>";
    h += "<div>" + (ds.src ? "Defined in " + sourceLink(ds.src) : '<span class="muted">external</span>') + "</div>";
    if (ds.t) h += "<h3>Tags</h3><div>" + tags(ds.t) + "</div>";
    h += "<h3>Columns (" + ds.c.length + ")</h3><ul>";
    ds.c.forEach((c, i) => {
      const sel = selected && selected.d === d && selected.c === i ? " sel" : "";
      h += '<li class="col' + sel + '" data-c="' + i + '">' + esc(c) + tags(ds.ct && ds.ct[c]) +
        (ds.tip && ds.tip[c] ? '<div class="muted">' + esc(ds.tip[c]) + "</div>" : "") + "</li>";
    });
    h += "</ul>";
    if (selected && selected.c >= 0 && hl) {
      const list = (title, m) => {
        const items = [...m].map(([k, v]) => [colName(+k.split(":")[0], +k.split(":")[1]), v]).sort((a, b) => a[0] < b[0] ? -1 : 1);
        return "<h3>" + title + " (" + items.length + ")</h3><ul>" +
          items.map(([n, v]) => '<li class="' + v + '">' + esc(n) + "</li>").join("") + "</ul>";
      };
      h += list("Upstream", hl.up) + list("Downstream", hl.down);
      h += '<p class="muted">● direct (value flows) ○ indirect (joins, filters, windows)</p>';
    } else if (hl && hl.upSets) {
      const list = (title, set) => "<h3>" + title + " (" + set.size + ")</h3><ul>" +
        [...set].map(n => DS[n].n).sort().map(n => "<li>" + esc(n) + "</li>").join("") + "</ul>";
      h += list("Upstream datasets", hl.upSets) + list("Downstream datasets", hl.downSets);
    }
    panel.innerHTML = h;
    panel.querySelectorAll("li.col").forEach(li => li.addEventListener("click", () => select(d, +li.dataset.c)));
  }

  // ---- hit testing ----------------------------------------------------------------------------
  function hit(sx, sy) {
    const [x, y] = toWorld(sx, sy);
    for (let d = 0; d < DS.length; d++) {
      const b = DS[d].b;
      if (x >= b[0] && x <= b[0] + b[2] && y >= b[1] && y <= b[1] + b[3]) {
        const row = Math.floor((y - b[1] - HEADER) / ROW);
        return { d, c: row >= 0 && row < DS[d].c.length ? row : -1 };
      }
    }
    return null;
  }
  function edgeAt(sx, sy) {
    if (view.scale <= 0.35) return -1;
    let best = -1, bestDist = 6;
    for (let i = 0; i < E.length; i++) {
      const e = E[i];
      if (!visible(DS[e[0]].b, 0) && !visible(DS[e[2]].b, 0)) continue;
      const p = curve(e[0], e[1], e[2], e[3]);
      if (p.length !== 8) {
        for (let k = 0; k + 3 < p.length; k += 2) {
          const [ax, ay] = toScreen(p[k], p[k + 1]), [bx, by] = toScreen(p[k + 2], p[k + 3]);
          const len2 = (bx - ax) ** 2 + (by - ay) ** 2 || 1;
          const t = Math.max(0, Math.min(1, ((sx - ax) * (bx - ax) + (sy - ay) * (by - ay)) / len2));
          const dist = Math.hypot(ax + t * (bx - ax) - sx, ay + t * (by - ay) - sy);
          if (dist < bestDist) { bestDist = dist; best = i; }
        }
        continue;
      }
      for (let k = 0; k <= 16; k++) {
        const t = k / 16, u = 1 - t;
        const x = u * u * u * p[0] + 3 * u * u * t * p[2] + 3 * u * t * t * p[4] + t * t * t * p[6];
        const y = u * u * u * p[1] + 3 * u * u * t * p[3] + 3 * u * t * t * p[5] + t * t * t * p[7];
        const [qx, qy] = toScreen(x, y);
        const dist = Math.hypot(qx - sx, qy - sy);
        if (dist < bestDist) { bestDist = dist; best = i; }
      }
    }
    return best;
  }
  function edgeText(i) {
    const e = E[i], st = S[e[4]];
    return colName(e[0], e[1]) + " → " + colName(e[2], e[3]) + "\n" + (isDirect(e) ? "direct" : "indirect") + " · " + st +
      "\n" + S[e[5]] + (S[e[6]] ? "\n" + S[e[6]] : "");
  }

  // ---- input: drag to pan, wheel and pinch to zoom, click to select, hover for edges ------------
  const pointers = new Map();
  let drag = null, pinch = null;
  canvas.addEventListener("pointerdown", ev => {
    try { canvas.setPointerCapture(ev.pointerId); } catch (e) { /* synthetic or already released pointer */ }
    pointers.set(ev.pointerId, [ev.offsetX, ev.offsetY]);
    tip.style.display = "none";
    if (pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      pinch = { dist: Math.hypot(a[0] - b[0], a[1] - b[1]), scale: view.scale };
      drag = null;
    } else {
      drag = { x: ev.offsetX, y: ev.offsetY, tx: view.tx, ty: view.ty, moved: 0 };
      canvas.classList.add("dragging");
    }
  });
  canvas.addEventListener("pointermove", ev => {
    if (pointers.has(ev.pointerId)) pointers.set(ev.pointerId, [ev.offsetX, ev.offsetY]);
    if (pinch && pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      const dist = Math.hypot(a[0] - b[0], a[1] - b[1]);
      zoomAt(pinch.scale * dist / pinch.dist / view.scale, (a[0] + b[0]) / 2, (a[1] + b[1]) / 2);
      return;
    }
    if (drag) {
      drag.moved = Math.max(drag.moved, Math.hypot(ev.offsetX - drag.x, ev.offsetY - drag.y));
      view.tx = drag.tx + ev.offsetX - drag.x; view.ty = drag.ty + ev.offsetY - drag.y;
      redraw();
      return;
    }
    const i = edgeAt(ev.offsetX, ev.offsetY);
    if (i !== hoverEdge) { hoverEdge = i; redraw(); }
    if (i >= 0) {
      tip.textContent = edgeText(i); tip.style.display = "block";
      tip.style.left = Math.min(ev.offsetX + 14, view.w - 300) + "px"; tip.style.top = (ev.offsetY + 14) + "px";
    } else tip.style.display = "none";
  });
  const release = ev => {
    pointers.delete(ev.pointerId);
    if (pointers.size < 2) pinch = null;
    if (drag && drag.moved < 4 && ev.type === "pointerup") {
      const h = hit(ev.offsetX, ev.offsetY);
      if (h) select(h.d, h.c >= 0 ? h.c : undefined); else clear();
    }
    drag = null;
    canvas.classList.remove("dragging");
  };
  canvas.addEventListener("pointerup", release);
  canvas.addEventListener("pointercancel", release);
  canvas.addEventListener("pointerleave", () => { tip.style.display = "none"; });
  canvas.addEventListener("wheel", ev => {
    ev.preventDefault();
    const amount = ev.deltaMode === 1 ? ev.deltaY * 16 : ev.deltaY;
    zoomAt(Math.exp(-amount * (ev.ctrlKey ? 0.01 : 0.0015)), ev.offsetX, ev.offsetY);
  }, { passive: false });

  // ---- search with keyboard navigation ------------------------------------------------------
  const q = document.getElementById("q"), results = document.getElementById("results"), count = document.getElementById("count");
  let matches = [], active = 0;
  function search() {
    const text = q.value.trim().toLowerCase();
    matches = [];
    if (text) {
      for (let d = 0; d < DS.length && matches.length < 200; d++) {
        if (DS[d].n.toLowerCase().includes(text)) matches.push([d, -1]);
        DS[d].c.forEach((c, j) => { if ((DS[d].n + "." + c).toLowerCase().includes(text) && matches.length < 200) matches.push([d, j]); });
      }
    }
    active = 0;
    count.textContent = text ? matches.length + (matches.length === 200 ? "+" : "") + " match" + (matches.length === 1 ? "" : "es") : "";
    renderResults();
  }
  function renderResults() {
    results.innerHTML = matches.slice(0, 50).map(([d, c], i) =>
      '<li data-i="' + i + '" class="' + (i === active ? "active" : "") + '">' + esc(c < 0 ? DS[d].n : DS[d].n + "." + DS[d].c[c]) +
      "<small>" + (c < 0 ? "dataset" : "column") + "</small></li>").join("");
    results.querySelectorAll("li").forEach(li => li.addEventListener("mousedown", ev => { ev.preventDefault(); choose(+li.dataset.i); }));
    const li = results.querySelector("li.active");
    if (li) li.scrollIntoView({ block: "nearest" });
  }
  function choose(i) {
    const m = matches[i];
    if (!m) return;
    results.innerHTML = "";
    select(m[0], m[1] >= 0 ? m[1] : undefined);
    centreOn(m[0], m[1]);
  }
  q.addEventListener("input", search);
  q.addEventListener("keydown", ev => {
    const shown = Math.min(matches.length, 50);
    if (ev.key === "ArrowDown") { ev.preventDefault(); active = shown ? (active + 1) % shown : 0; renderResults(); }
    else if (ev.key === "ArrowUp") { ev.preventDefault(); active = shown ? (active - 1 + shown) % shown : 0; renderResults(); }
    else if (ev.key === "Enter") { ev.preventDefault(); choose(active); }
    else if (ev.key === "Escape") { q.value = ""; search(); clear(); }
  });
  document.addEventListener("keydown", ev => {
    if (ev.target === q) return;
    if (ev.key === "/") { ev.preventDefault(); q.focus(); }
    else if (ev.key === "f") fit();
    else if (ev.key === "+" || ev.key === "=") zoomAt(1.25, view.w / 2, view.h / 2);
    else if (ev.key === "-") zoomAt(0.8, view.w / 2, view.h / 2);
    else if (ev.key === "Escape") clear();
  });
  document.getElementById("fit").onclick = fit;
  document.getElementById("zin").onclick = () => zoomAt(1.25, view.w / 2, view.h / 2);
  document.getElementById("zout").onclick = () => zoomAt(0.8, view.w / 2, view.h / 2);

  // ---- API for tests and power users ----------------------------------------------------------
  const api = {
    view, frames: 0, lastFrameMs: 0, fit, zoomAt, redraw,
    panBy(dx, dy) { view.tx += dx; view.ty += dy; redraw(); },
    find(name) { return byName.get(name); },
    select(name, column) {
      const d = byName.get(name);
      select(d, column === undefined ? undefined : DS[d].c.indexOf(column));
    },
    screenPoint(name, column) {
      const d = byName.get(name), b = DS[d].b;
      const c = column === undefined ? -1 : DS[d].c.indexOf(column);
      return toScreen(b[0] + Math.min(40, b[2] / 2), c < 0 ? b[1] + HEADER / 2 : portY(d, c));
    },
    edgePoint(i) { const [x, y] = midpoint(curve(E[i][0], E[i][1], E[i][2], E[i][3])); return toScreen(x, y); },
    edgeIndex(source, target) {
      return E.findIndex(e => colName(e[0], e[1]) === source && colName(e[2], e[3]) === target);
    },
    highlightedDatasets() {
      if (!hl || !hl.upSets) return null;
      return { upstream: [...hl.upSets].map(n => DS[n].n).sort(), downstream: [...hl.downSets].map(n => DS[n].n).sort() };
    },
    highlighted() {
      if (!hl || !selected || selected.c < 0) return null;
      const named = m => Object.fromEntries([...m].map(([k, v]) => [colName(+k.split(":")[0], +k.split(":")[1]), v]).sort());
      return { upstream: named(hl.up), downstream: named(hl.down) };
    },
  };
  api.groupCount = D.groups.length;
  window.datatrail = api;
  window.addEventListener("resize", resize);
  clear();
  resize();
  fit();
  document.body.dataset.ready = "1";
})();
