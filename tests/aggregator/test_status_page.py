"""The status page at ``/``, driven in headless Chromium against a real uvicorn server on loopback.

Needs Debian's ``chromium`` and ``chromium-driver`` (``scripts/test`` installs them with
``fonts-noto-cjk``). Without them this test fails: it is never skipped silently.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from aggregator.app import App
from aggregator.health import BreakerPolicy, record_outcome
from tests.aggregator.test_api import serve_in_thread
from tests.conftest import job, write_ndjson, write_source

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not shutil.which(p)]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: apt-get install chromium chromium-driver fonts-noto-cjk "
                    "(scripts/test does)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1400",
                "--lang=zh-CN", f"--user-data-dir={tmp_path / 'chrome-profile'}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def ops_app(sources_dir: Path, tmp_path: Path) -> Iterator[App]:
    """Four sources: healthy, drifting (layout changed), paused after failures, and one with quarantine."""
    ok = write_ndjson(tmp_path / "ok.ndjson", [job(i, jobTitle=f"家政保洁员{i}", workPlace="广州市天河区林和街道")
                                              for i in range(12)])
    write_source(sources_dir, "feed_tianhe_jiazheng", options={"path": str(ok), "format": "ndjson"})
    drift = tmp_path / "drift.ndjson"
    write_ndjson(drift, [job(100 + i, jobTitle=f"仓库分拣员{i}") for i in range(20)])
    write_source(sources_dir, "feed_baiyun_wuliu", options={"path": str(drift), "format": "ndjson"})
    write_source(sources_dir, "feed_broken", options={"path": str(tmp_path / "gone.ndjson"), "format": "ndjson"})
    bad = write_ndjson(tmp_path / "bad.ndjson", [job(200 + i, jobTitle=f"外卖骑手{i}") for i in range(5)],
                       extra_lines=["{not json", '{"jobTitle": "没有编号的岗位"}'])
    write_source(sources_dir, "feed_haizhu_waimai", options={"path": str(bad), "format": "ndjson"})
    app = App.open(sources_dir, entrypoints=False)
    s = app.sources.sources
    app.harvest([s["feed_tianhe_jiazheng"], s["feed_haizhu_waimai"]])
    for _ in range(2):
        app.harvest([s["feed_baiyun_wuliu"]])
    write_ndjson(drift, [{k: v for k, v in job(100 + i, jobTitle=f"仓库分拣员{i}").items()
                          if k not in ("pay", "workPlace", "tel")}
                         for i in range(6)])
    app.harvest([s["feed_baiyun_wuliu"]])
    for _ in range(2):
        (run,) = app.harvest([s["feed_broken"]])
        record_outcome(app.catalog, "feed_broken", False, BreakerPolicy(failures_to_pause=2), datetime.now(UTC),
                       reason=run.error)
    app.sync()
    yield app
    app.close()


def test_status_page_shows_health_runs_quarantine_alarms_and_searches(
        ops_app: App, browser: webdriver.Chrome, tmp_path: Path) -> None:
    for base in serve_in_thread(ops_app):
        status = httpx.get(f"{base}/v1/status", timeout=30).json()
        health = {s["id"]: s["health"] for s in status["sources"]}
        assert health == {"feed_tianhe_jiazheng": "ok", "feed_baiyun_wuliu": "alarm", "feed_broken": "paused",
                          "feed_haizhu_waimai": "ok"}

        browser.get(base + "/")
        wait = WebDriverWait(browser, 20)
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "body[data-loaded='true']")))
        assert browser.title.startswith("lingong 零工聚合")
        rows = {r.get_attribute("data-source"): r for r in browser.find_elements(By.CSS_SELECTOR, "#sources tbody tr")}
        assert set(rows) == set(health)
        for sid, want in health.items():
            assert rows[sid].find_element(By.CSS_SELECTOR, ".badge").get_attribute("data-health") == want
        assert "暂停至" in rows["feed_broken"].text
        assert rows["feed_haizhu_waimai"].find_element(By.CSS_SELECTOR, ".quarantined").text == "2"
        assert "ok 7/5/0/2" in rows["feed_haizhu_waimai"].text  # fetched/new/closed/quarantined of its run
        alarms = browser.find_element(By.ID, "alarms").text
        assert "feed_baiyun_wuliu" in alarms and "count_drop" in alarms and "missing_fields_jump" in alarms
        summary = browser.find_element(By.ID, "summary").text
        assert "4 个数据源" in summary and "隔离 2" in summary

        box = browser.find_element(By.ID, "q")
        box.send_keys("保洁")
        browser.find_element(By.CSS_SELECTOR, "#search-form button").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#results li"))
        results = browser.find_elements(By.CSS_SELECTOR, "#results li")
        assert results and all("保洁" in r.text for r in results)
        assert "共" in browser.find_element(By.ID, "search-total").text
        # CJK must render with a real font: the summary's width in a CJK font is far from zero-width boxes.
        width = browser.execute_script("return document.querySelector('h1').getBoundingClientRect().width")
        assert width > 150

        shot = tmp_path / "status.png"
        assert browser.save_screenshot(str(shot))
        shutil.copyfile(shot, "/tmp/lingong-status.png")
        assert shot.stat().st_size > 20_000
