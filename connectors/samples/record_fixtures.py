"""Record the acceptance-kit fixture cases of the sandbox sources (run by hand, like build.py).

    .venv/bin/python connectors/samples/record_fixtures.py [SOURCE_ID ...]

Starts the sandbox province (seed 20261120, size 200), records day 0 of each source into
``connectors/samples/fixtures/<source_id>/day0/`` through a recording proxy, moves the province on one
day and records the change (``inputs_day1/``). What ``lingong connector record`` does, for many sources.
"""

from __future__ import annotations

import sys
from pathlib import Path

from aggregator.plugins import make_plugins
from aggregator.sources import load_source_file
from connectors.sandbox import Sandbox
from connectors.testkit import record_case
from connectors.testkit.kit import patched_env

HERE = Path(__file__).resolve().parent
DEFAULT = ("county_nanhai", "portal_yuegong", "feed_gz_labour", "jsonld_dongguan")


def main(ids: list[str]) -> None:
    plugins = make_plugins(entrypoints=False)
    sources = [load_source_file(HERE / "sources" / f"{sid}.yaml") for sid in ids or DEFAULT]
    with Sandbox(size=200) as sb, patched_env(sb.env()):
        for source in sources:
            case = record_case(source, HERE / "fixtures", plugins=plugins)
            print(f"{source.id}: day 0 recorded ({case.meta['recorded_records']} records)")
        sb.advance_day()
        for source in sources:
            case = record_case(source, HERE / "fixtures", change=True, plugins=plugins)
            print(f"{source.id}: change recorded: {case.change}")


if __name__ == "__main__":
    main(sys.argv[1:])
