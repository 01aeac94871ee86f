"""The report through the CLI and the HTTP API, the 零工市场 directory, and the report view in headless Chromium."""

from __future__ import annotations

import base64
import io
import json
import shutil
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from aggregator.app import App
from aggregator.cli import app as cli_app
from tests.aggregator.test_api import serve_in_thread
from tests.conftest import FEED_MAPPING, job, write_ndjson

MARKETS = [
    ("440106", "天河区零工市场", "广州市天河区林和西路", 23.142, 113.324),
    ("440305", "南山区零工驿站", "深圳市南山区南头街道", 22.536, 113.930),
    ("440604", "禅城区零工市场", "佛山市禅城区季华五路", 23.021, 113.122),
]
PLACES = {"440106": "广州市天河区林和街道", "440305": "深圳市南山区南头街道", "440604": "佛山市禅城区祖庙街道"}
TITLES = ["家政保洁员", "餐厅服务员", "快递分拣员", "电子厂普工", "保安员"]


def _write_source(sources: Path, region: str, feed: Path, market: tuple[str, str, str, float, float]) -> None:
    sid = f"feed_{region}"
    (sources / f"{sid}.yaml").write_text(yaml.safe_dump({
        "id": sid, "name": f"{market[1]} 岗位", "connector": "feed", "region": region, "trust": 0.6,
        "options": {"path": str(feed), "format": "ndjson"}, "mapping": {**FEED_MAPPING, "headcount": "need"},
        "market": {"name": market[1], "address": market[2], "hours": "周一至周六 7:00-12:00",
                   "services": ["零工登记", "岗位对接", "技能培训"], "contact": "12333", "lat": market[3],
                   "lon": market[4]},
    }, allow_unicode=True), encoding="utf-8")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, App, Path]]:
    tmp = tmp_path_factory.mktemp("market")
    sources = tmp / "sources"
    sources.mkdir()
    n = 0
    for k, (region, place) in enumerate(PLACES.items()):
        records: list[dict[str, Any]] = []
        for i in range(8 + 6 * k):
            n += 1
            records.append(job(n, jobTitle=f"{TITLES[i % len(TITLES)]}{n}", workPlace=place,
                               pay=f"{150 + 10 * (i % 6)}元/天", publishTime=f"2026-{9 + i % 2:02d}-{1 + i:02d}",
                               need=str(1 + i % 3), company=f"示例{region}服务有限公司"))
        _write_source(sources, region, write_ndjson(tmp / f"{region}.ndjson", records), MARKETS[k])
    import os

    old = os.environ.get("LINGONG_HOME")
    os.environ["LINGONG_HOME"] = str(tmp / "home")
    app = App.open(sources, entrypoints=False)
    app.harvest(app.select([])[0])
    app.sync()
    try:
        for base in serve_in_thread(app):
            yield base, app, sources
    finally:
        app.close()
        if old is None:
            os.environ.pop("LINGONG_HOME", None)
        else:
            os.environ["LINGONG_HOME"] = old


def test_postings_are_coded_by_the_builtin_plugin(served: tuple[str, App, Path]) -> None:
    _, app, _ = served
    coded = {p.title.rstrip("0123456789"): (p.occupation, p.industry) for p in app.catalog.iter_postings()}
    assert coded["家政保洁员"][0] == "4-10" and coded["餐厅服务员"][0] == "4-03"


def test_stats_market_and_markets(served: tuple[str, App, Path]) -> None:
    base, _, _ = served
    with httpx.Client(base_url=base, timeout=30) as c:
        r = c.get("/v1/stats/market", params={"month": "2026-10", "min_count": 3}).json()
        assert r["month"] == "2026-10" and r["total"]["demand"] > 0
        assert {row["code"] for row in r["by_region"]} == {"440100", "440300", "440600"}
        assert r["total"]["seekers"] == 0 and r["total"]["ratio"] is None and r["seekers_note"]
        assert "指导价" in r["pay_note"]
        assert c.get("/v1/stats/market", params={"month": "2026-13"}).status_code == 422
        m = c.get("/v1/markets").json()
        assert m["count"] == 3
        assert {x["name"] for x in m["markets"]} == {x[1] for x in MARKETS}
        assert all(x["lat"] and x["lon"] and x["services"] for x in m["markets"])
        assert c.get("/market/static/../../catalog/__init__.py").status_code == 404


def test_cli_report_in_every_format(served: tuple[str, App, Path], tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    _, app, sources = served
    monkeypatch.setenv("LINGONG_HOME", str(app.settings.catalog_path.parent))
    runner = CliRunner()
    res = runner.invoke(cli_app, ["report", "--month", "2026-10", "--format", "json", "--sources", str(sources)])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["total"]["postings"] > 0
    out = tmp_path / "r.xlsx"
    res = runner.invoke(cli_app, ["report", "--month", "2026-10", "--region", "440100", "--format", "xlsx",
                                  "--out", str(out), "--sources", str(sources)])
    assert res.exit_code == 0, res.output
    with zipfile.ZipFile(io.BytesIO(out.read_bytes())) as z:
        assert "xl/worksheets/sheet2.xml" in z.namelist()
        assert "需求人数" in z.read("xl/worksheets/sheet2.xml").decode()
    res = runner.invoke(cli_app, ["report", "--month", "2026-10", "--format", "csv", "--sources", str(sources)])
    assert res.exit_code == 0 and "# wages" in res.stdout and "daily_p50" in res.stdout
    res = runner.invoke(cli_app, ["report", "--month", "2026-10", "--format", "html", "--sources", str(sources)])
    assert res.exit_code == 0 and "<table>" in res.stdout
    bad = runner.invoke(cli_app, ["report", "--month", "10/2026", "--sources", str(sources)])
    assert bad.exit_code == 2


needs_chromium = pytest.mark.skipif(shutil.which("chromium") is None or shutil.which("chromedriver") is None,
                                    reason="needs Debian chromium and chromium-driver")


@contextmanager
def report_view(base: str, query: str) -> Iterator[Any]:
    """A headless Chromium showing ``/market?query`` once its script has drawn everything (or failed)."""
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or ""
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1200",
                "--disable-dev-shm-usage"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(options=opts, service=Service(shutil.which("chromedriver") or ""))
    try:
        driver.get(f"{base}/market?{query}")
        WebDriverWait(driver, 20).until(lambda d: d.find_element("tag name", "body").get_attribute("data-ready")
                                        or d.find_element("tag name", "body").get_attribute("data-error"))
        assert driver.find_element("tag name", "body").get_attribute("data-error") is None
        yield driver
    finally:
        driver.quit()


@needs_chromium
def test_report_view_renders_the_map_in_headless_chromium(served: tuple[str, App, Path]) -> None:
    base, _, _ = served
    with report_view(base, "month=2026-10&min_count=3") as driver:
        api = httpx.get(f"{base}/v1/stats/market", params={"month": "2026-10", "min_count": 3}).json()
        assert driver.find_element("id", "demand-total").text == str(api["total"]["demand"])
        assert driver.find_element("id", "markets-count").text == "3"
        assert driver.find_element("id", "ratio-total").text == "—"
        assert driver.execute_script("return window.lingongMapUnmatched.length") == 0
        driver.save_screenshot("/tmp/lingong-report.png")
        # The map canvas has drawn something: count non-white pixels of its first canvas.
        data_url = driver.execute_script("return document.querySelector('#map canvas').toDataURL('image/png')")
        png = base64.b64decode(data_url.split(",", 1)[1])
        inked = driver.execute_script("""
            const c = document.querySelector('#map canvas'), g = c.getContext('2d');
            const d = g.getImageData(0, 0, c.width, c.height).data; let n = 0;
            for (let i = 0; i < d.length; i += 4) if (d[i+3] > 0 && (d[i] < 240 || d[i+1] < 240 || d[i+2] < 240)) n++;
            return n;""")
        assert len(png) > 5000 and inked > 10_000


#: Wage rows for the chart alone. 教学人员's top whisker (800) is far above the rest and falls on a round number, as
#: in 深圳's demo month 2026-11: ECharts' own axis then ended at exactly 800, on the box's edge, which read as cut off.
WAGE_ROWS = [
    {"name": "教学人员", "postings": 6, "daily": {"p10": 183.91, "p25": 414.0, "p50": 414.0, "p75": 800, "p90": 800}},
    {"name": "批发与零售服务人员", "postings": 17,
     "daily": {"p10": 120.0, "p25": 183.91, "p50": 275.0, "p75": 321.84, "p90": 321.84}},
    {"name": "保安员", "postings": 5, "daily": {"p10": 100, "p25": 100, "p50": 100, "p75": 100, "p90": 100}},
]
#: The value axis of a drawn wage chart, its plot area and where its outermost whiskers are drawn (pixels).
WAGE_AXIS = """
    const c = echarts.getInstanceByDom(arguments[0]), axis = c.getModel().getComponent('xAxis', 0).axis;
    const rect = c.getModel().getComponent('grid', 0).coordinateSystem.getRect();
    const rows = c.getOption().series[0].data;
    const lo = Math.min(...rows.map(r => r[0])), hi = Math.max(...rows.map(r => r[4]));
    return {extent: axis.scale.getExtent(), lo: lo, hi: hi, left: rect.x, right: rect.x + rect.width,
            lo_px: c.convertToPixel({xAxisIndex: 0}, lo), hi_px: c.convertToPixel({xAxisIndex: 0}, hi)};"""


@needs_chromium
def test_wage_boxes_end_inside_the_plot_not_on_its_frame(served: tuple[str, App, Path]) -> None:
    base, _, _ = served
    with report_view(base, "month=2026-10&min_count=3") as driver:
        live = driver.execute_script(WAGE_AXIS, driver.find_element("id", "wages"))
        div = driver.execute_script("""
            const div = document.createElement('div'); div.style.cssText = 'width: 640px; height: 260px';
            document.body.appendChild(div); echarts.init(div).setOption(lingongWageOption(arguments[0]));
            return div;""", WAGE_ROWS)
        alone = driver.execute_script(WAGE_AXIS, div)
    assert alone["lo"] == 100 and alone["hi"] == 800
    for g in (live, alone):
        (low, high), span = g["extent"], g["hi"] - g["lo"]
        # the axis holds every whisker with at least 5% of the wages' range to spare, and no negative pay
        assert 0 <= low <= g["lo"] - 0.05 * span and high >= g["hi"] + 0.05 * span, g
        assert g["left"] + 5 <= g["lo_px"] and g["hi_px"] <= g["right"] - 5, g
