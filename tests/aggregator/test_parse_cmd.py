"""``lingong parse``: the normalisers from the command line."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from aggregator.cli import app

runner = CliRunner()


def _json(*args: str) -> dict[str, object]:
    result = runner.invoke(app, ["parse", *args, "--json"])
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_salary() -> None:
    value = _json("salary", "120—200元/课时")["value"]
    assert isinstance(value, dict)
    assert (value["min"], value["max"], value["unit"]) == (120, 200, "session")


def test_place_with_and_without_a_region_hint() -> None:
    assert _json("place", "工作地点在广信区")["value"]["code"] == "361104"  # type: ignore[index]
    assert _json("place", "鼓楼区", "--within", "350100")["value"]["code"] == "350102"  # type: ignore[index]


def test_phone_is_shown_masked_for_the_public() -> None:
    assert _json("phone", "电话：138-0013-8000")["value"] == {"phone": "13800138000", "public": "138****8000"}


@pytest.mark.parametrize(("code", "valid", "exit_code"), [("91350100M000100Y43", True, 0),
                                                          ("91350100M000100Y44", False, 1)])
def test_uscc(code: str, valid: bool, exit_code: int) -> None:
    assert _json("uscc", code)["value"] is valid
    assert runner.invoke(app, ["parse", "uscc", code]).exit_code == exit_code


def test_nothing_found_is_exit_1_with_a_message() -> None:
    result = runner.invoke(app, ["parse", "salary", "待遇优厚"])
    assert result.exit_code == 1
    assert "no salary found" in result.stderr
