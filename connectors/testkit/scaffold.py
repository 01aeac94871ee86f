"""``lingong connector new``: a pip-installable plugin package whose tests pass as generated.

The package has a connector (a subclass of the built-in kind, with one site-specific clean-up to
show where such code goes), a plugin module registering it through ``lingong_register_connectors``,
a source file, one fixture case (hand-made inputs in the recorded format, ``expected.jsonl`` and the
change written by replaying them with the new connector) and tests. Replace the case with a real
recording (``lingong connector record``) once the source file points at the real site.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from pathlib import Path
from typing import Any

from aggregator.errors import LingongError
from aggregator.plugins import make_plugins
from aggregator.sources import load_source_file
from connectors.testkit.fixtures import Exchange, FixtureCase, write_inputs
from connectors.testkit.kit import bless_case

KINDS: dict[str, tuple[str, str, str]] = {  # kind → (module, class, source id prefix)
    "html": ("connectors.html", "HtmlConnector", "county"),
    "json_api": ("connectors.json_api", "JsonApiConnector", "portal"),
    "feed": ("connectors.feed", "FeedConnector", "feed"),
    "jsonld": ("connectors.jsonld", "JsonLdConnector", "jsonld"),
}
_NAME = re.compile(r"[a-z][a-z0-9_]{1,40}")

# Three postings on day 0; on day 1 the second one's pay changes, the third is gone, a fourth appears.
_JOBS: list[dict[str, str]] = [
    {"id": "1001", "title": "仓库分拣员", "company": "广州市白云区示例物流有限公司", "salary": "200元/天",
     "address": "广州市白云区太和镇大源北路18号", "phone": "13800138000", "date": "2026-11-18",
     "updated": "2026-11-18 09:00:00"},
    {"id": "1002", "title": "【急招】保洁员", "company": "广州示例物业管理有限公司", "salary": "4500元/月",
     "address": "广州市天河区林和西路9号", "phone": "13900139000", "date": "2026-11-19",
     "updated": "2026-11-19 10:30:00"},
    {"id": "1003", "title": "外卖骑手（日结）", "company": "广州示例餐饮配送有限公司", "salary": "25元/小时",
     "address": "广州市海珠区新港中路397号", "phone": "13700137000", "date": "2026-11-19",
     "updated": "2026-11-19 11:00:00"},
]
_DAY1: list[dict[str, str]] = [
    _JOBS[0],
    {**_JOBS[1], "salary": "4800元/月", "updated": "2026-11-20 08:15:00"},
    {"id": "1004", "title": "电子厂普工", "company": "广州示例电子有限公司", "salary": "5000-6500元/月",
     "address": "广州市番禺区石碁镇市莲路88号", "phone": "13600136000", "date": "2026-11-20",
     "updated": "2026-11-20 09:00:00"},
]
_ROBOTS = Exchange("GET", "/robots.txt", 200, {"Content-Type": "text/plain; charset=utf-8"},
                   b"User-agent: *\nDisallow: /admin/\n")


def _html(body: str, title: str) -> bytes:
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body>{body}</body></html>\n").encode()


def _page(target: str, body: bytes, ctype: str = "text/html; charset=utf-8") -> Exchange:
    return Exchange("GET", target, 200, {"Content-Type": ctype}, body)


def _inputs(kind: str, jobs: list[dict[str, str]], *, since: str | None) -> list[Exchange]:
    if kind == "json_api":
        items = [{"id": j["id"], "title": j["title"], "company": {"name": j["company"]}, "salary": j["salary"],
                  "address": j["address"], "phone": j["phone"], "publishDate": j["date"], "updatedAt": j["updated"]}
                 for j in jobs if since is None or j["updated"] > since]
        doc = {"code": 0, "data": {"total": len(items), "items": items}}
        target = "/api/jobs?page=1&size=50" + (f"&updatedSince={since}" if since else "")
        return [_ROBOTS, _page(target, json.dumps(doc, ensure_ascii=False).encode(),
                               "application/json; charset=utf-8")]
    if kind == "feed":
        rows = ["编号,岗位名称,用工单位,薪资待遇,工作地点,联系电话,发布日期"]
        rows += [",".join(j[k] for k in ("id", "title", "company", "salary", "address", "phone", "date"))
                 for j in jobs]
        return [_ROBOTS, _page("/export/jobs.csv", ("\r\n".join(rows) + "\r\n").encode(), "text/csv; charset=utf-8")]
    if kind == "html":
        links = "".join(f'<li><a class="title" href="job_{j["id"]}.html">{j["title"]}</a>'
                        f'<span class="updated">{j["updated"]}</span></li>' for j in jobs)
        pages = [_ROBOTS, _page("/jobs/list_1.html", _html(f'<ul class="job-list">{links}</ul>', "招聘信息"))]
        for j in jobs:
            body = (f'<h1 class="job-title">{j["title"]}</h1><table class="job-info">'
                    f'<tr><th>用工单位</th><td>{j["company"]}</td></tr><tr><th>薪资</th><td>{j["salary"]}</td></tr>'
                    f'<tr><th>地址</th><td>{j["address"]}</td></tr><tr><th>电话</th><td>{j["phone"]}</td></tr>'
                    f'<tr><th>发布</th><td>{j["date"]}</td></tr></table>')
            pages.append(_page(f"/jobs/job_{j['id']}.html", _html(body, j["title"])))
        return pages
    cards = "".join(f'<div class="card"><a class="job-card" href="/job/{j["id"]}">{j["title"]}</a>'
                    f'<time class="updated">{j["updated"]}</time></div>' for j in jobs)
    pages = [_ROBOTS, _page("/jobs", _html(cards, "招聘"))]
    for j in jobs:
        ld = {"@context": "https://schema.org", "@type": "JobPosting", "title": j["title"], "datePosted": j["date"],
              "hiringOrganization": {"@type": "Organization", "name": j["company"]},
              "jobLocation": {"@type": "Place", "address": {"@type": "PostalAddress", "streetAddress": j["address"]}},
              "baseSalary": j["salary"], "applicationContact": {"telephone": j["phone"]}}
        script = f'<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>'
        pages.append(_page(f"/job/{j['id']}", _html(script + f"<h1>{j['title']}</h1>", j["title"])))
    return pages


def _options(kind: str, env: str) -> tuple[str, str]:
    """(options, mapping) of the source file, as YAML text."""
    if kind == "json_api":
        return (f'''  base_url: "${{{env}}}"
  endpoint: /api/jobs
  records_path: data.items
  paginator: {{type: page_number, page_param: page, size_param: size, size: 50, total_path: data.total}}
  incremental: {{param: updatedSince, field: updatedAt}}
  http: {{delay: 0.1, concurrency: 2}}''',
                "{native_id: id, title: title, employer: company.name, salary: salary, address: address,\n"
                "          phone: phone, posted_at: publishDate}")
    if kind == "feed":
        return (f'  url: "${{{env}}}/export/jobs.csv"\n  format: csv\n  http: {{delay: 0.1}}',
                "{native_id: 编号, title: 岗位名称, employer: 用工单位, salary: 薪资待遇, address: 工作地点,\n"
                "          phone: 联系电话, posted_at: 发布日期}")
    if kind == "html":
        row = "\"xpath://table[@class='job-info']//th[.='{}']/following-sibling::td[1]//text()\""
        return (f'''  start_url: "${{{env}}}/jobs/list_1.html"
  item: "css:ul.job-list li"                  # one list row
  item_links: "css:a.title::attr(href)"       # inside the row
  item_updated: "css:span.updated::text"      # changes when the posting changes: incremental runs skip the rest
  http: {{delay: 0.1, concurrency: 2}}''',
                "\n  native_id: \"url:job_(\\\\d+)\\\\.html\"\n  url: url\n  title: \"css:h1.job-title::text\"\n"
                f"  employer: {row.format('用工单位')}\n  salary: {row.format('薪资')}\n"
                f"  address: {row.format('地址')}\n  phone: {row.format('电话')}\n"
                f"  posted_at: {row.format('发布')}")
    return (f'''  start_url: "${{{env}}}/jobs"
  item: "css:div.card"
  item_links: "css:a.job-card::attr(href)"
  item_updated: "css:time.updated::text"
  native_id_from_url: "/job/(\\\\d+)"
  http: {{delay: 0.1, concurrency: 2}}''', "{native_id: auto, title: auto}   # the schema.org mapping is built in")


_SAMPLE_PAYLOAD = {
    "json_api": {"id": "1002", "title": "【急招】保洁员", "company": {"name": "广州示例物业管理有限公司"}},
    "feed": {"编号": "1002", "岗位名称": "【急招】保洁员", "用工单位": "广州示例物业管理有限公司"},
    "html": {"title": "【急招】保洁员", "employer": "广州示例物业管理有限公司", "_native_id": "1002"},
    "jsonld": {"@type": "JobPosting", "title": "【急招】保洁员", "_native_id": "1002"},
}


def names(name: str, kind: str) -> dict[str, str]:
    """Every name the package uses, from the plugin name and the kind."""
    if not _NAME.fullmatch(name):
        raise LingongError(f"plugin name must be lower-case letters, digits and _ (e.g. hangzhou_portal), "
                           f"got {name!r}")
    if kind not in KINDS:
        raise LingongError(f"--kind must be one of {', '.join(KINDS)}, got {kind!r}")
    module, cls, prefix = KINDS[kind]
    source_id = name if name.startswith(prefix + "_") else f"{prefix}_{name}"
    return {"name": name, "kind": kind, "dist": "lingong-" + name.replace("_", "-"), "package": f"lingong_{name}",
            "source_id": source_id, "env": f"{source_id.upper()}_URL", "base_module": module, "base_class": cls,
            "class": "".join(p.title() for p in name.split("_")) + "Connector"}


def new_plugin(name: str, kind: str, directory: Path) -> Path:
    """Write the package into ``directory/lingong-<name>/`` and bless its fixture case; return its root."""
    n = names(name, kind)
    root = directory / n["dist"]
    if root.exists():
        raise LingongError(f"{root} already exists")
    pkg = root / n["package"]
    pkg.mkdir(parents=True)
    options, mapping = _options(kind, n["env"])
    files = {
        "pyproject.toml": _PYPROJECT, "README.md": _README, f"{n['package']}/__init__.py": _INIT,
        f"{n['package']}/connector.py": _CONNECTOR, f"{n['package']}/plugin.py": _PLUGIN,
        f"sources/{n['source_id']}.yaml": _SOURCE, "tests/test_connector.py": _TESTS, "tests/__init__.py": "",
    }
    values = {**n, "options": options, "mapping": mapping,
              "payload": json.dumps(_SAMPLE_PAYLOAD[kind], ensure_ascii=False)}
    for rel, template in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.format(**values) if template else "", encoding="utf-8")
    case_dir = root / "fixtures" / n["source_id"] / "example"
    write_inputs(case_dir / "inputs", _inputs(kind, _JOBS, since=None))
    write_inputs(case_dir / "inputs_day1", _inputs(kind, _DAY1, since=max(j["updated"] for j in _JOBS)))
    case = FixtureCase(path=case_dir, source_id=n["source_id"], name="example", base_url_env=n["env"],
                       coverage={"title": 1.0, "employer": 1.0, "salary": 1.0, "address": 1.0},
                       source_file=f"../../../sources/{n['source_id']}.yaml",
                       meta={"note": "hand-made inputs in the recorded format; replace with a real recording "
                                     "(lingong connector record)"})
    case.save_meta()
    bless_case(case, load_source_file(root / "sources" / f"{n['source_id']}.yaml"), _plugins_with(root, n))
    return root


def _plugins_with(root: Path, n: dict[str, str]) -> Any:
    """Plugins with the new package's plugin module registered (imported from ``root``, then forgotten)."""
    sys.path.insert(0, str(root))
    try:
        module = importlib.import_module(f"{n['package']}.plugin")
        return make_plugins(entrypoints=False, extra=[(n["name"], module)])
    finally:
        sys.path.remove(str(root))
        for mod in [m for m in sys.modules if m == n["package"] or m.startswith(n["package"] + ".")]:
            del sys.modules[mod]


_PYPROJECT = '''[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "{dist}"
version = "0.1.0"
description = "lingong connector plugin: {source_id} ({kind})"
requires-python = ">=3.11"
dependencies = ["lingong"]

# lingong finds the plugin through this entry point (group "lingong").
[project.entry-points.lingong]
{name} = "{package}.plugin"

[tool.setuptools]
packages = ["{package}"]

[tool.pytest.ini_options]
# fixtures/: lingong's pytest plugin turns every recorded case into acceptance tests
testpaths = ["tests", "fixtures"]
filterwarnings = ["error"]
'''

_README = '''# {dist}

A lingong connector plugin for `{source_id}` (kind `{kind}`), made by `lingong connector new {name} --kind {kind}`.

```sh
pip install -e .                 # registers the entry point lingong.{name}
pytest                           # unit tests + the acceptance kit on fixtures/{source_id}/*/
lingong connector test {source_id} --sources sources
```

Point `sources/{source_id}.yaml` at the real site, set `{env}` to its base URL, then record a real
case and, after the site has changed, the change:

```sh
{env}=https://… lingong connector record {source_id} --sources sources --fixtures fixtures
{env}=https://… lingong connector record {source_id} --sources sources --fixtures fixtures --change
```

The case under `fixtures/{source_id}/example/` was made by hand in the recorded format; delete it once a
real recording exists.
'''

_INIT = '''"""{dist}: a lingong connector plugin for {source_id}."""

from {package}.connector import {class}

__all__ = ["{class}"]
'''

_CONNECTOR = '''"""The connector of {source_id}: lingong's built-in `{kind}` connector plus this site's own clean-up."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from {base_module} import {base_class}

_DECORATION = re.compile(r"^(【[^】]*】)+")


class {class}({base_class}):
    """{base_class} with one site-specific fix: titles lose their 【急招】-style prefixes."""

    def map_fields(self, payload: Mapping[str, Any]) -> dict[str, str | None]:
        fields = super().map_fields(payload)
        title = fields.get("title")
        if title:
            fields["title"] = _DECORATION.sub("", title).strip() or title
        return fields
'''

_PLUGIN = '''"""Registers the connector with lingong (entry point group ``lingong`` in pyproject.toml)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aggregator.hookspecs import hookimpl
from {package}.connector import {class}


@hookimpl
def lingong_register_connectors(register: Callable[[str, Any], None]) -> None:
    register("{name}", {class})
'''

_SOURCE = '''# {source_id}: read by the `{name}` connector ({dist}). {env} is the site's base URL.
id: {source_id}
name: {source_id}
connector: {name}
region: "440100"
trust: 0.6
options:
{options}
mapping: {mapping}
'''

_TESTS = '''"""Unit tests of {dist}; the recorded cases under fixtures/ are collected by lingong's pytest plugin."""

from __future__ import annotations

from pathlib import Path

from aggregator.plugins import make_plugins
from aggregator.sources import load_source_file
from {package} import plugin
from {package}.connector import {class}

ROOT = Path(__file__).resolve().parent.parent


def test_the_plugin_registers_the_connector() -> None:
    plugins = make_plugins(entrypoints=False, extra=[("{name}", plugin)])
    assert plugins.connector("{name}") is {class}


def test_titles_lose_their_decorations() -> None:
    source = load_source_file(ROOT / "sources" / "{source_id}.yaml")
    connector = {class}(source, {class}.Options.model_construct(), user_agent="test")
    assert connector.map_fields({payload})["title"] == "保洁员"
'''
