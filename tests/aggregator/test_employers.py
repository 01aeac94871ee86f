"""Employer verification: every status with its reason, registry import (CSV/XLSX), blacklist, code conflicts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import normalize as nz
from aggregator import employers as emp
from aggregator.cli import app as cli_app
from aggregator.schema import JobPosting
from search.base import SearchQuery
from tests.conftest import job, write_ndjson, write_source

GOOD = nz.make_uscc("91440111MA5C12345")
OTHER = nz.make_uscc("91440106MA5D77770")


def _posting(app: Any, native: str) -> JobPosting:
    p = app.catalog.get_posting(JobPosting.make_id("feed_a", native))
    assert p is not None
    return p


def _harvest(open_app: Any, sources_dir: Path, tmp_path: Path, records: list[dict[str, Any]]) -> Any:
    feed = write_ndjson(tmp_path / "a.ndjson", records)
    write_source(sources_dir, "feed_a", options={"path": str(feed), "format": "ndjson"})
    app = open_app()
    app.harvest(app.select([])[0])
    app.sync()
    return app


def _csv(path: Path, rows: list[list[str]]) -> Path:
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_codes_are_well_formed() -> None:
    assert nz.validate_uscc(GOOD) and nz.validate_uscc(OTHER)


def test_each_status_with_its_reason(open_app, sources_dir: Path, tmp_path: Path) -> None:
    app = _harvest(open_app, sources_dir, tmp_path, [
        job(1, creditCode=GOOD),  # registered → verified
        job(2, company="广州某某劳务派遣有限公司", creditCode="", jobTitle="搬运工"),  # nothing known → unverified
        job(3, company="广州坏码公司", creditCode="91440101MA59XXXXXX", jobTitle="保安"),  # bad check digit → invalid
        job(4, company="广州黑心中介有限公司", creditCode="", jobTitle="普工"),  # blacklisted by name
        job(5, company="广州冒名物流有限公司", creditCode=GOOD, jobTitle="理货员"),  # someone else's code → invalid
    ])
    with app.catalog.transaction():
        app.catalog.upsert_registered_employer(name="广州市白云区示例物流有限公司",
                                               name_key=nz.employer_key("广州市白云区示例物流有限公司"),
                                               uscc=GOOD, status="存续", source="market.csv")
        emp.add_to_blacklist(app.catalog, "广州黑心中介有限公司", "收取押金后失联", source="test")
    assert emp.reverify(app.catalog, app.plugins, everything=True) >= 3
    got = {n: _posting(app, n).employer for n in ("J0001", "J0002", "J0003", "J0004", "J0005")}
    assert got["J0001"].verification == "verified"
    assert any("local registry (market.csv)" in r for r in got["J0001"].reasons)
    assert got["J0002"].verification == "unverified"
    assert got["J0003"].verification == "invalid"
    assert got["J0004"].verification == "blacklisted"
    assert any("收取押金后失联" in r for r in got["J0004"].reasons)
    assert got["J0005"].verification == "invalid"
    assert any("registered to 广州市白云区示例物流有限公司" in r for r in got["J0005"].reasons)
    app.sync()
    published = {i["native_id"] for i in app.search(SearchQuery(page_size=50)).items}
    assert "J0004" not in published and "J0001" in published
    verified = {i["native_id"] for i in app.search(SearchQuery(page_size=50, verified_only=True)).items}
    assert verified == {"J0001"}


def test_a_registry_entry_with_a_dead_status_is_invalid(open_app, sources_dir: Path, tmp_path: Path) -> None:
    app = _harvest(open_app, sources_dir, tmp_path, [job(1, creditCode=GOOD)])
    with app.catalog.transaction():
        app.catalog.upsert_registered_employer(name="广州市白云区示例物流有限公司",
                                               name_key=nz.employer_key("广州市白云区示例物流有限公司"),
                                               uscc=GOOD, status="吊销", source="r.csv")
    emp.reverify(app.catalog, app.plugins, everything=True)
    p = _posting(app, "J0001")
    assert p.employer.verification == "invalid" and any("吊销" in r for r in p.employer.reasons)


def test_one_code_with_two_employer_names_is_flagged(open_app, sources_dir: Path, tmp_path: Path) -> None:
    app = _harvest(open_app, sources_dir, tmp_path, [
        job(1, creditCode=OTHER), job(2, company="广州另一家保洁有限公司", creditCode=OTHER, jobTitle="保洁员")])
    second = _posting(app, "J0002")
    assert second.employer.verification == "unverified"
    assert any("also given for" in r and "示例物流" in r for r in second.employer.reasons)
    (conflict,) = app.catalog.employer_code_conflicts()
    assert conflict["uscc"] == OTHER and len(conflict["names"]) == 2


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_cli_import_and_blacklist(sources_dir: Path, tmp_path: Path, fmt: str) -> None:
    feed = write_ndjson(tmp_path / "a.ndjson", [job(1, creditCode=GOOD), job(2, company="广州骗子人力有限公司",
                                                                            creditCode="", jobTitle="打包工")])
    write_source(sources_dir, "feed_a", options={"path": str(feed), "format": "ndjson"})
    runner = CliRunner()
    src = ["--sources", str(sources_dir)]
    assert runner.invoke(cli_app, ["harvest", *src]).exit_code == 0
    rows = [["企业名称", "统一社会信用代码", "状态"], ["广州市白云区示例物流有限公司", GOOD, "存续"],
            ["坏行", "91440101MA59XXXXXX", ""]]
    if fmt == "csv":
        path = _csv(tmp_path / "reg.csv", rows)
    else:
        import openpyxl

        wb = openpyxl.Workbook()
        for r in rows:
            wb.active.append(r)
        path = tmp_path / "reg.xlsx"
        wb.save(path)
    res = runner.invoke(cli_app, ["employers", "import", str(path), *src, "--json"])
    assert res.exit_code == 0, res.output
    body = json.loads(res.stdout)
    assert (body["rows"], body["imported"], body["rechecked"]) == (2, 1, 1)
    assert "check digit" in body["skipped"][0]
    res = runner.invoke(cli_app, ["employers", "blacklist", "add", "广州骗子人力有限公司", "--reason", "黑中介", *src])
    assert res.exit_code == 0, res.output
    listed = json.loads(runner.invoke(cli_app, ["employers", "blacklist", "list", *src, "--json"]).stdout)
    assert [r["reason"] for r in listed] == ["黑中介"]
    found = json.loads(runner.invoke(cli_app, ["search", *src, "--json"]).stdout)
    items = found["items"] if isinstance(found, dict) else found
    assert {i["native_id"]: i["employer"]["verification"] for i in items} == {"J0001": "verified"}
    res = runner.invoke(cli_app, ["employers", "blacklist", "remove", str(listed[0]["id"]), *src])
    assert res.exit_code == 0 and "1 stored postings changed status" in res.stdout


def test_blacklist_import_by_code(open_app, sources_dir: Path, tmp_path: Path) -> None:
    app = _harvest(open_app, sources_dir, tmp_path, [job(1, creditCode=GOOD)])
    path = _csv(tmp_path / "bl.csv", [["uscc", "reason"], [GOOD, "人社局通报"]])
    result = emp.import_blacklist(app.catalog, path, "imported")
    assert (result.rows, result.imported) == (1, 1)
    emp.reverify(app.catalog, app.plugins, everything=True)
    p = _posting(app, "J0001")
    assert p.employer.verification == "blacklisted" and any("人社局通报" in r for r in p.employer.reasons)


def test_an_import_file_without_known_columns_is_refused(open_app, tmp_path: Path) -> None:
    app = open_app()
    with pytest.raises(emp.LingongError, match="no name or uscc column"):
        emp.import_registry(app.catalog, _csv(tmp_path / "x.csv", [["foo", "bar"], ["1", "2"]]))
