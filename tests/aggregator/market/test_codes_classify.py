"""Code tables and the classifier, measured against a sample labelled by reading (data/labelled_sample.csv)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from aggregator.market.classify import NaiveBayes, classify, features
from aggregator.market.codes import industries, occupations, section_of

SAMPLE = Path(__file__).parent / "data" / "labelled_sample.csv"


def test_code_tables_have_the_published_shape() -> None:
    occ = occupations()
    assert sum(c.level == "major" for c in occ.values()) == 8
    assert sum(c.level == "middle" for c in occ.values()) == 79  # the 2022 edition's announced count
    assert all(c.parent in occ for c in occ.values() if c.level == "middle")
    ind = industries()
    assert [c.code for c in ind.values() if c.level == "section"] == list("ABCDEFGHIJKLMNOPQRST")
    divisions = [c for c in ind.values() if c.level == "division"]
    assert [int(d.code) for d in divisions] == list(range(1, 98))
    assert section_of("13") == "C" == section_of("43") and section_of("62") == "H" and section_of("97") == "T"


@pytest.mark.parametrize(("title", "employer", "occupation", "section"), [
    ("雅岛豆浆招聘厨⼯", "雅岛豆浆(人民南店)", "4-03", "H"),  # ⼯ is the Kangxi radical: NFKC folds it
    ("叉车司机", "广州市白云区示例物流有限公司", "6-30", "G"),
    ("电子厂普工", "东莞市某某电子有限公司", "6-25", "C"),
    ("家政保洁员", None, "4-10", "O"),
    ("外卖骑手", "美团", "4-02", "I"),
])
def test_rules_code_typical_gig_titles(title: str, employer: str | None, occupation: str, section: str) -> None:
    c = classify(title, employer)
    assert (c.occupation, c.industry_section) == (occupation, section)


def test_naive_bayes_learns_and_predicts() -> None:
    data = [(["t:焊", "e:钢构"], "6-18"), (["t:焊", "e:机械"], "6-18"), (["t:端盘子", "e:酒楼"], "4-03"),
            (["t:传菜", "e:酒楼"], "4-03")]
    model = NaiveBayes.train(data, min_count=1)
    assert model.predict(["e:酒楼"])[0] == "4-03"
    assert model.predict(["t:焊"])[0] == "6-18"
    again = NaiveBayes.from_json(model.to_json())
    assert again.scores(["t:焊"]) == model.scores(["t:焊"])
    assert features("电焊工", "某钢构厂", None)[0].startswith("t:")


def _scored(sample: Path) -> tuple[int, int, int, int, int]:
    """(rows, major-group hits, middle-group hits, section hits, rows with a section label) of a sample."""
    with sample.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    major = middle = section_ok = section_n = 0
    for r in rows:
        c = classify(r["title"], r["employer"], r["description"])
        major += c.occupation_major == r["middle"].split("-")[0]
        middle += c.occupation == r["middle"]
        if r["section"]:
            section_n += 1
            section_ok += c.industry_section == r["section"]
    return len(rows), major, middle, section_ok, section_n


def test_accuracy_on_the_hand_labelled_sample() -> None:
    """120 postings from /work/shared/realdata, labelled by reading them (held out of model training)."""
    n, major, middle, section_ok, section_n = _scored(SAMPLE)
    assert n == 120
    assert major / n >= 0.90, f"major-group accuracy {major}/{n}"
    assert middle / n >= 0.80, f"middle-group accuracy {middle}/{n}"
    assert section_ok / section_n >= 0.75, f"industry-section accuracy {section_ok}/{section_n}"


BLIND = Path(__file__).parent / "data" / "labelled_blind.csv"


def test_accuracy_on_the_blind_sample_does_not_fall() -> None:
    """150 other postings, labelled by someone who saw the code tables but not lingong's rules (docs/market.md).

    Measured Nov 2026: major 98/150, middle 73/150, section 78/121 — far below the first sample's figures,
    mostly where the two codings differ (finance telesales, customer service, 经理 titles). These floors
    keep the figures from getting worse; they are not a target.
    """
    n, major, middle, section_ok, section_n = _scored(BLIND)
    assert n == 150
    assert major >= 98, f"major-group accuracy {major}/{n}"
    assert middle >= 73, f"middle-group accuracy {middle}/{n}"
    assert section_ok >= 78, f"industry-section accuracy {section_ok}/{section_n}"
