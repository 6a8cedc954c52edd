"""The HTML explorer driven in a real headless Chromium (Debian's ``chromium``, through Playwright).

No browser is downloaded: Playwright launches the system binary. The tests skip only when no
chromium binary exists (``apt-get install -y chromium``; .ci/run installs it). Screenshots are
kept under pytest's temporary directory and their paths printed (``pytest -s`` shows them).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from extractor.config import load_config
from extractor.graph import LineageGraph
from extractor.render.explorer import column_trace, explorer_data
from extractor.render.html import render_explorer
from extractor.scan import scan

from .conftest import EXAMPLE

CHROMIUM = os.environ.get("DATATRAIL_CHROMIUM") or next(
    (found for name in ("chromium", "chromium-browser", "google-chrome") if (found := shutil.which(name))), None
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium binary on PATH (apt-get install -y chromium, or set DATATRAIL_CHROMIUM)"
)

if CHROMIUM is not None:
    from playwright.sync_api import Browser, Page, sync_playwright


@pytest.fixture(scope="module")
def shop_graph() -> LineageGraph:
    return scan([EXAMPLE / "sql", EXAMPLE / "pipelines"], load_config(EXAMPLE))


@pytest.fixture(scope="module")
def shop_page(shop_graph: LineageGraph, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("explorer") / "shop.html"
    path.write_text(render_explorer(explorer_data(shop_graph, "example shop")), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


class Loaded:
    def __init__(self, page: Page, errors: list[str]) -> None:
        self.page, self.errors = page, errors

    def canvas_point(self, dataset: str, column: str | None = None) -> tuple[float, float]:
        box = self.page.locator("#canvas").bounding_box()
        assert box is not None
        x, y = self.page.evaluate("([d, c]) => datatrail.screenPoint(d, c === null ? undefined : c)", [dataset, column])
        return box["x"] + x, box["y"] + y

    def view(self) -> dict[str, float]:
        return dict(self.page.evaluate("({...datatrail.view})"))


def open_page(browser: Browser, path: Path) -> Iterator[Loaded]:
    page = browser.new_page(viewport={"width": 1500, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_selector("body[data-ready='1']", timeout=10_000)
    yield Loaded(page, errors)
    page.close()


@pytest.fixture
def shop(browser: Browser, shop_page: Path) -> Iterator[Loaded]:
    yield from open_page(browser, shop_page)


def test_page_loads_without_console_errors(shop: Loaded) -> None:
    assert shop.errors == []
    assert shop.page.evaluate("datatrail.frames") >= 1
    assert shop.page.evaluate("datatrail.groupCount") == 8
    assert shop.page.locator("#panel").inner_text().startswith("Click a dataset")


def test_clicking_a_column_highlights_its_full_paths(shop: Loaded, shop_graph: LineageGraph, tmp_path: Path) -> None:
    shop.page.mouse.click(*shop.canvas_point("ml.training_input", "age_years"))
    highlighted = shop.page.evaluate("datatrail.highlighted()")
    trace = column_trace(shop_graph, "ml.training_input", "age_years")
    assert highlighted["upstream"] == {f"{d}.{c}": kind for (d, c), kind in trace.upstream.items()}
    assert highlighted["downstream"] == {f"{d}.{c}": kind for (d, c), kind in trace.downstream.items()}
    # The value path back to the raw birth date, and forward to the export and the model.
    for column in ("features.customer_features.age_years", "marts.dim_customers.age_years",
                   "staging.stg_customers.age_years", "raw.customers.birth_date"):  # fmt: skip
        assert highlighted["upstream"][column] == "direct"
    assert highlighted["upstream"]["marts.fct_orders.customer_id"] == "indirect"
    assert highlighted["downstream"]["/data/exports/training_input.csv.age_years"] == "direct"
    assert highlighted["downstream"]["models/churn_model.joblib.age_years"] == "direct"
    panel = shop.page.locator("#panel").inner_text()
    assert "ml.training_input" in panel and "raw.customers.birth_date" in panel and "Downstream (3)" in panel
    shot = tmp_path / "explorer-age_years.png"
    shop.page.screenshot(path=str(shot))
    print(f"\nscreenshot: {shot}")
    assert shot.stat().st_size > 10_000
    assert shop.errors == []


def test_drag_pans_wheel_zooms_and_fit_fits(shop: Loaded) -> None:
    page = shop.page
    start = shop.view()
    box = page.locator("#canvas").bounding_box()
    assert box is not None
    x, y = box["x"] + 30, box["y"] + box["height"] - 40  # empty canvas below the diagram
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 120, y - 70, steps=5)
    page.mouse.up()
    moved = shop.view()
    assert (moved["tx"] - start["tx"], moved["ty"] - start["ty"]) == pytest.approx((120, -70), abs=1)
    assert moved["scale"] == start["scale"]
    assert page.evaluate("datatrail.highlighted()") is None  # a drag is not a click

    # Wheel: zoom in around the cursor; the world point under it stays put.
    cx, cy = box["x"] + 400, box["y"] + 300
    page.mouse.move(cx, cy)
    before = page.evaluate("([x, y]) => [(x - datatrail.view.tx) / datatrail.view.scale, "
                           "(y - datatrail.view.ty) / datatrail.view.scale]", [400, 300])  # fmt: skip
    page.mouse.wheel(0, -300)
    page.wait_for_function(f"datatrail.view.scale > {moved['scale'] * 1.2}")
    after = page.evaluate("([x, y]) => [(x - datatrail.view.tx) / datatrail.view.scale, "
                          "(y - datatrail.view.ty) / datatrail.view.scale]", [400, 300])  # fmt: skip
    assert after == pytest.approx(before, abs=0.5)

    # Pinch: two pointers moving apart zoom in.
    scale = shop.view()["scale"]
    page.evaluate("""() => {
      const c = document.getElementById('canvas');
      const ev = (type, id, x) => c.dispatchEvent(new PointerEvent(type, {pointerId: id, clientX: x, clientY: 300,
        bubbles: true, isPrimary: id === 1, pointerType: 'touch'}));
      ev('pointerdown', 1, 400); ev('pointerdown', 2, 500);
      ev('pointermove', 1, 350); ev('pointermove', 2, 550);
      ev('pointerup', 1, 350); ev('pointerup', 2, 550);
    }""")
    assert shop.view()["scale"] == pytest.approx(scale * 2, rel=0.02)

    page.click("#fit")
    fitted = shop.view()
    width, height = page.evaluate("JSON.parse(document.getElementById('datatrail-data').textContent).size")
    assert width * fitted["scale"] <= fitted["w"] + 1 and height * fitted["scale"] <= fitted["h"] + 1
    assert max(width * fitted["scale"] / fitted["w"], height * fitted["scale"] / fitted["h"]) > 0.9
    assert shop.errors == []


def test_search_with_keyboard_navigation(shop: Loaded) -> None:
    page = shop.page
    page.keyboard.press("/")
    page.keyboard.type("customer_id")
    items = page.locator("#results li")
    assert items.count() > 5
    assert "match" in page.locator("#count").inner_text()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.locator("#results li.active").get_attribute("data-i") == "2"
    page.keyboard.press("ArrowUp")
    chosen = page.locator("#results li.active").inner_text()
    page.keyboard.press("Enter")
    assert page.locator("#results li").count() == 0
    name = chosen.split("column")[0].split("dataset")[0].strip()
    assert name.split(".")[-1] == "customer_id"
    assert page.locator("#panel h2").inner_text().endswith(name.rsplit(".", 1)[0])
    assert page.evaluate("datatrail.highlighted()") is not None
    page.keyboard.press("Escape")
    assert page.evaluate("datatrail.highlighted()") is None


def test_hovering_an_edge_shows_its_transformation(shop: Loaded) -> None:
    page = shop.page
    page.evaluate("datatrail.zoomAt(1.6 / datatrail.view.scale, 0, 0)")
    index = page.evaluate("datatrail.edgeIndex('raw.customers.birth_date', 'staging.stg_customers.age_years')")
    assert index >= 0
    page.evaluate(f"(() => {{ const [x, y] = datatrail.edgePoint({index}); "
                  f"datatrail.panBy(600 - x, 400 - y); }})()")  # fmt: skip
    box = page.locator("#canvas").bounding_box()
    assert box is not None
    x, y = page.evaluate(f"datatrail.edgePoint({index})")
    page.mouse.move(box["x"] + x, box["y"] + y)
    tip = page.locator("#tip")
    tip.wait_for(state="visible")
    text = tip.inner_text()
    assert "raw.customers.birth_date → staging.stg_customers.age_years" in text
    assert "direct · TRANSFORMATION" in text
    assert "AGE(" in text.upper() and "sql/staging/stg_customers.sql:" in text


def test_side_panel_shows_tags_column_tags_and_source(browser: Browser, tmp_path: Path) -> None:
    graph = LineageGraph()
    ds = graph.dataset("crm.contacts")
    ds.add_columns(["email", "id"])
    ds.attributes["tags"] = ["crm", "daily"]
    ds.attributes["column_tags"] = {"email": ["pii"]}
    from extractor.model import Location

    ds.location = Location("models/crm/contacts.sql", 3)
    path = tmp_path / "tags.html"
    path.write_text(render_explorer(explorer_data(graph, source_prefix="../repo")), encoding="utf-8")
    for loaded in open_page(browser, path):
        loaded.page.mouse.click(*loaded.canvas_point("crm.contacts"))
        panel = loaded.page.locator("#panel")
        assert [t.inner_text() for t in panel.locator(".tag").all()] == ["crm", "daily", "pii"]
        assert panel.locator(".tag.pii").inner_text() == "pii"
        link = panel.locator("a")
        assert link.inner_text() == "models/crm/contacts.sql:3"
        assert link.get_attribute("href") == "../repo/models/crm/contacts.sql#L3"
        assert loaded.errors == []


def test_clicking_a_dataset_highlights_its_whole_lineage(shop: Loaded, shop_graph: LineageGraph) -> None:
    shop.page.mouse.click(*shop.canvas_point("ml.training_input"))
    assert shop.page.evaluate("datatrail.highlighted()") is None  # no column chosen
    lit = shop.page.evaluate("datatrail.highlightedDatasets()")
    assert lit == {
        "upstream": sorted(shop_graph.upstream("ml.training_input")),
        "downstream": sorted(shop_graph.downstream("ml.training_input")),
    }
    assert "raw.customers" in lit["upstream"] and "models/churn_model.joblib" in lit["downstream"]
    assert "Upstream datasets (" in shop.page.locator("#panel").inner_text()
    assert shop.errors == []
