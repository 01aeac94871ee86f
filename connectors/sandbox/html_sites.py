"""The HTML sites: three county 零工市场 and one job site with schema.org JSON-LD.

Each has list pages (newest update first, ``page_size`` a page) and detail pages, in
the markup of its kind of CMS: tables and ``<font>`` (白云, GBK), a 繁體 ASP site in
Big5 (香洲), a plain UTF-8 list with a robots.txt that forbids ``/zpxx/vip/`` although
every list page links there (南海), and ``<script type="application/ld+json">`` (东莞).
"""

from __future__ import annotations

import json
import re
from typing import Any

from connectors.sandbox.province import Record
from connectors.sandbox.variation import to_traditional
from connectors.sandbox.web import Request, Response, Site, desc_html, esc, html, not_found, paginate


def _d(rec: Record) -> str:
    return rec.expires_at.isoformat() if rec.expires_at else "长期有效"


class BaiyunSite(Site):
    """county_baiyun: 白云区零工市场, a dedecms-style site served in GBK (declared gb2312 in the page)."""

    name, env_var = "baiyun", "LINGONG_SANDBOX_BAIYUN_URL"
    source_id = "county_baiyun"

    def handle(self, req: Request) -> Response:
        listing = self.state.province.listing(self.source_id, self.state.day)
        m = re.fullmatch(r"/lgsc/zpxx/index(?:_(\d+))?\.html", req.path)
        if m:
            page = int(m.group(1) or 1)
            items, pages = paginate(listing, page, self.state.page_size)
            if not items and page != 1:
                return not_found()
            return self._page(self._list(items, page, pages, len(listing)))
        m = re.fullmatch(r"/lgsc/zpxx/content_(\d+)\.html", req.path)
        if m:
            rec = self.state.province.find(self.source_id, m.group(1), self.state.day)
            return self._page(self._detail(rec)) if rec else not_found()
        if req.path in ("/", "/index.html"):
            return self._page('<a href="/lgsc/zpxx/index.html">招聘信息</a>')
        return not_found()

    def _page(self, body: str) -> Response:
        text = (
            '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
            '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
            '<html xmlns="http://www.w3.org/1999/xhtml"><head>\n'
            '<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />\n'
            "<title>招聘信息_广州市白云区零工市场</title>\n"
            '<style type="text/css">td.tit{background:#f2f2f2;width:110px}</style></head>\n<body>\n'
            "<!-- 头部 开始 -->\n"
            '<div class="top" style="height:80px;background:#1a5fb4;color:#fff">广州市白云区人力资源和社会保障局'
            "&nbsp;|&nbsp;白云区零工市场</div>\n<!-- 头部 结束 -->\n"
            f"{body}\n<!-- 底部 -->\n<div class=\"foot\">主办：白云区人社局&nbsp;&nbsp;粤ICP备00000000号</div>\n"
            "</body></html>\n"
        )
        return html(text, "gbk", "text/html; charset=GBK")

    def _list(self, items: list[Record], page: int, pages: int, total: int) -> str:
        rows = "\n".join(
            f'<tr><td><a href="content_{r.native_id}.html" target="_blank" title="{esc(r.title)}">{esc(r.title)}'
            f"</a></td><td>{esc(r.employer)}</td><td>{esc(r.salary)}</td>"
            f'<td align="center">{r.updated_at:%Y-%m-%d}</td></tr>'
            for r in items
        )
        nav = ['<a href="index.html">首页</a>']
        if page > 1:
            nav.append(f'<a href="{"index.html" if page == 2 else f"index_{page - 1}.html"}">上一页</a>')
        if page < pages:
            nav.append(f'<a href="index_{page + 1}.html">下一页</a>')
        nav.append(f'<a href="index_{pages}.html">尾页</a>' if pages > 1 else '<a href="index.html">尾页</a>')
        return (
            '<table class="list" width="100%" border="0" cellspacing="0" cellpadding="4" '
            'style="border:1px solid #ccc">\n'
            '<tr class="head" style="font-weight:bold"><td>岗位名称</td><td>用工单位</td><td>薪资待遇</td>'
            f"<td>更新日期</td></tr>\n{rows}\n</table>\n"
            f'<div class="pages">共{total}条&nbsp;第{page}/{pages}页&nbsp;{" ".join(nav)}</div>'
        )

    def _detail(self, r: Record) -> str:
        return (
            f'<h1 class="job-title" style="font-size:18px;text-align:center">{esc(r.title)}</h1>\n'
            f'<div class="info">发布日期：<span class="pub">{r.posted_at}</span>&nbsp;&nbsp;更新时间：'
            f'<span class="upd">{r.updated_at:%Y-%m-%d %H:%M}</span>&nbsp;&nbsp;来源：白云区零工市场</div>\n'
            '<table class="detail" border="1" cellspacing="0" style="border-collapse:collapse" width="96%">\n'
            f'<tr><td class="tit">用工单位：</td><td>{esc(r.employer)}&nbsp;</td>'
            f'<td class="tit">统一社会信用代码：</td><td>{r.uscc or "&nbsp;"}</td></tr>\n'
            f'<tr><td class="tit">薪资待遇：</td><td><font color="red">{esc(r.salary)}</font></td>'
            f'<td class="tit">招聘人数：</td><td>{r.headcount}人</td></tr>\n'
            f'<tr><td class="tit">工作地点：</td><td colspan="3">{esc(r.address)}</td></tr>\n'
            f'<tr><td class="tit">用工形式：</td><td>{r.kind}</td>'
            f'<td class="tit">截止日期：</td><td>{_d(r)}</td></tr>\n'
            f'<tr><td class="tit">联系人：</td><td>{esc(r.contact)}</td>'
            f'<td class="tit">联系电话：</td><td>{esc(r.phone)}</td></tr>\n</table>\n'
            '<div class="content"><p><strong>岗位描述：</strong></p>\n'
            f"<p>&nbsp;&nbsp;{desc_html(r.description)}</p>\n<!-- 责任编辑：admin --></div>"
        )


class XiangzhouSite(Site):
    """county_xiangzhou: 香洲區零工市場, an ASP site in 繁體字, Big5, charset only in a <meta> tag."""

    name, env_var = "xiangzhou", "LINGONG_SANDBOX_XIANGZHOU_URL"
    source_id = "county_xiangzhou"

    def handle(self, req: Request) -> Response:
        listing = self.state.province.listing(self.source_id, self.state.day)
        if req.path == "/jobs/list.asp":
            page = int(req.arg("page", "1")) if req.arg("page", "1").isdigit() else 1
            items, pages = paginate(listing, page, self.state.page_size)
            if not items and page != 1:
                return not_found()
            return self._page(self._list(items, page, pages))
        if req.path == "/jobs/show.asp":
            rec = self.state.province.find(self.source_id, req.arg("id"), self.state.day)
            return self._page(self._detail(rec)) if rec else not_found()
        if req.path in ("/", "/default.asp"):
            return self._page('<a href="/jobs/list.asp">招聘信息</a>')
        return not_found()

    def _page(self, body: str) -> Response:
        text = (
            '<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset=big5">\n'
            "<title>珠海市香洲區零工市場 - 招聘資訊</title>\n</head>\n"
            '<body bgcolor="#FFFFFF" leftmargin="0" topmargin="0">\n'
            '<div id="header"><img src="/images/logo.gif" alt="香洲區零工市場"></div>\n'
            f"{to_traditional(body)}\n"
            '<div id="footer">珠海市香洲區人力資源服務中心 版權所有</div>\n</body>\n</html>\n'
        )
        return html(text, "big5", "text/html")

    def _list(self, items: list[Record], page: int, pages: int) -> str:
        rows = "\n".join(
            f'<div class="item"><a href="show.asp?id={r.native_id}" class="job">{esc(r.title)}</a>'
            f'<span class="corp">{esc(r.employer)}</span><span class="pay">{esc(r.salary)}</span>'
            f'<span class="date">{r.updated_at:%Y/%m/%d}</span></div>'
            for r in items
        )
        nxt = f'<a href="list.asp?page={page + 1}">下一页</a>' if page < pages else ""
        prev = f'<a href="list.asp?page={page - 1}">上一页</a>' if page > 1 else ""
        return f'<div id="joblist">\n{rows}\n</div>\n<div class="pager">{prev} 第{page}页/共{pages}页 {nxt}</div>'

    def _detail(self, r: Record) -> str:
        fields = [("用工单位", r.employer), ("统一社会信用代码", r.uscc), ("薪资待遇", r.salary),
                  ("工作地点", r.address), ("用工形式", r.kind), ("招聘人数", r.headcount),
                  ("联系人", r.contact), ("联系电话", r.phone), ("发布日期", f"{r.posted_at:%Y/%m/%d}"),
                  ("截止日期", f"{r.expires_at:%Y/%m/%d}" if r.expires_at else "长期")]
        dl = "".join(f"<dt>{k}</dt><dd>{esc(v)}</dd>\n" for k, v in fields)
        return (
            f'<div class="job-head"><h2>{esc(r.title)}</h2><span class="upd">更新：{r.updated_at:%Y/%m/%d %H:%M}'
            f'</span></div>\n<dl class="job-info">\n{dl}</dl>\n'
            f'<div class="job-desc"><b>工作内容</b><br>{desc_html(r.description)}</div>'
        )


class NanhaiSite(Site):
    """county_nanhai: 南海区零工市场, UTF-8; robots.txt forbids /zpxx/vip/, and every list page links there."""

    name, env_var = "nanhai", "LINGONG_SANDBOX_NANHAI_URL"
    source_id = "county_nanhai"
    robots = "# 南海区零工市场\nUser-agent: *\nDisallow: /zpxx/vip/\nDisallow: /admin/\n"

    def handle(self, req: Request) -> Response:
        listing = self.state.province.listing(self.source_id, self.state.day)
        m = re.fullmatch(r"/zpxx/list_(\d+)\.html", req.path)
        if m:
            page = int(m.group(1))
            items, pages = paginate(listing, page, self.state.page_size)
            if not items and page != 1:
                return not_found()
            return self._page(self._list(items, page, pages))
        m = re.fullmatch(r"/zpxx/job_(\d+)\.html", req.path)
        if m:
            rec = self.state.province.find(self.source_id, m.group(1), self.state.day)
            return self._page(self._detail(rec)) if rec else not_found()
        m = re.fullmatch(r"/zpxx/vip/job_(\d+)\.html", req.path)
        if m:  # members only; a polite crawler never comes here
            return self._page(f'<h1 class="job-title">会员专享岗位 {m.group(1)}</h1><p>请登录后查看。</p>')
        if req.path in ("/", "/index.html"):
            return self._page('<a href="/zpxx/list_1.html">零工信息</a>')
        return not_found()

    def _page(self, body: str) -> Response:
        text = (
            '<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            "<title>佛山市南海区零工市场</title></head>\n<body>\n"
            '<header class="site-head">南海区零工市场 <nav><a href="/zpxx/list_1.html">找零工</a></nav></header>\n'
            f'<main>\n{body}\n</main>\n<footer>南海区人力资源和社会保障局</footer>\n</body></html>\n'
        )
        return html(text)

    def _list(self, items: list[Record], page: int, pages: int) -> str:
        lis = [
            f'<li><a class="title" href="/zpxx/job_{r.native_id}.html">{esc(r.title)}</a> '
            f'<span class="salary">{esc(r.salary)}</span> <span class="corp">{esc(r.employer)}</span> '
            f"<em>{r.updated_at:%Y-%m-%d}</em></li>"
            for r in items
        ]
        # the members-only posting sits in the list like any other
        lis.insert(min(3, len(lis)), f'<li class="vip"><a class="title" href="/zpxx/vip/job_{page}.html">'
                   "【会员专享】高薪日结岗位</a> <span class=\"salary\">面议</span></li>")
        nxt = f'<a class="next" href="/zpxx/list_{page + 1}.html">下一页</a>' if page < pages else ""
        return ('<ul class="job-list">\n' + "\n".join(lis) + "\n</ul>\n"
                f'<div class="pager"><span>第 {page} / {pages} 页</span> {nxt}</div>')

    def _detail(self, r: Record) -> str:
        rows = [("用工单位", r.employer), ("信用代码", r.uscc), ("薪资", r.salary), ("地址", r.address),
                ("类型", r.kind), ("人数", r.headcount), ("联系人", r.contact), ("电话", r.phone),
                ("发布", r.posted_at.isoformat()), ("截止", _d(r)), ("更新", f"{r.updated_at:%Y-%m-%d %H:%M:%S}")]
        trs = "\n".join(f"<tr><th>{k}</th><td>{esc(v)}</td></tr>" for k, v in rows)
        return (f'<article class="job">\n<h1 class="job-title">{esc(r.title)}</h1>\n'
                f'<table class="job-info">\n{trs}\n</table>\n'
                f'<div class="job-desc">{desc_html(r.description)}</div>\n</article>')


_SCHEMA_TYPES = {"全职": "FULL_TIME", "兼职": "PART_TIME", "日结": "TEMPORARY", "小时工": "PART_TIME",
                 "零工": "TEMPORARY", "计件": "CONTRACTOR", "实习": "INTERN"}


def _base_salary(text: str) -> dict[str, Any] | None:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(?:[-~](\d+(?:\.\d+)?))?元?/?(小时|天|日|月)?", text)
    if not m:
        return None
    unit = {"小时": "HOUR", "天": "DAY", "日": "DAY", "月": "MONTH", None: "MONTH"}[m.group(3)]
    value: dict[str, Any] = {"@type": "QuantitativeValue", "unitText": unit}
    if m.group(2):
        value |= {"minValue": float(m.group(1)), "maxValue": float(m.group(2))}
    else:
        value["value"] = float(m.group(1))
    return {"@type": "MonetaryAmount", "currency": "CNY", "value": value}


class DongguanJobSite(Site):
    """jsonld_dongguan: 莞工零工网, a job site whose detail pages carry schema.org JobPosting JSON-LD."""

    name, env_var = "jobsite", "LINGONG_SANDBOX_JOBSITE_URL"
    source_id = "jsonld_dongguan"

    def handle(self, req: Request) -> Response:
        listing = self.state.province.listing(self.source_id, self.state.day)
        if req.path == "/jobs":
            page = int(req.arg("page", "1")) if req.arg("page", "1").isdigit() else 1
            items, pages = paginate(listing, page, self.state.page_size)
            if not items and page != 1:
                return not_found()
            cards = "\n".join(
                f'<div class="card"><a class="job-card" href="/job/{r.native_id}">{esc(r.title)}</a>'
                f'<p class="meta">{esc(r.employer)} · {esc(r.salary)}</p>'
                f'<time class="updated" datetime="{r.updated_at:%Y-%m-%dT%H:%M}">{r.updated_at:%m-%d}</time></div>'
                for r in items)
            nxt = f'<a rel="next" class="next" href="/jobs?page={page + 1}">下一页 &raquo;</a>' if page < pages else ""
            return self._page("莞工零工网 - 最新零工", f'<section class="jobs">\n{cards}\n</section>\n'
                              f'<nav class="pagination">{nxt}</nav>', "")
        m = re.fullmatch(r"/job/(\d+)", req.path)
        if m:
            rec = self.state.province.find(self.source_id, m.group(1), self.state.day)
            if rec is None:
                return not_found()
            return self._page(f"{rec.title} - 莞工零工网", self._visible(rec), self._jsonld(rec))
        if req.path == "/":
            return self._page("莞工零工网", '<a href="/jobs">最新零工</a>', "")
        return not_found()

    def _page(self, title: str, body: str, head: str) -> Response:
        return html(f'<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"><title>{esc(title)}</title>\n{head}\n'
                    f"</head><body>\n{body}\n</body></html>\n")

    def _visible(self, r: Record) -> str:
        return (f'<h1>{esc(r.title)}</h1><div class="company">{esc(r.employer)}</div>'
                f'<div class="pay">{esc(r.salary)}</div><div class="addr">{esc(r.address)}</div>'
                f'<div class="desc">{desc_html(r.description)}</div>')

    def _jsonld(self, r: Record) -> str:
        url = f"{self.url}/job/{r.native_id}"
        posting: dict[str, Any] = {
            "@context": "https://schema.org/", "@type": "JobPosting", "title": r.title,
            "description": r.description.replace("\n", "<br>"), "datePosted": r.posted_at.isoformat(),
            "employmentType": _SCHEMA_TYPES.get(r.kind, "OTHER"),
            "hiringOrganization": {"@type": "Organization", "name": r.employer},
            "jobLocation": {"@type": "Place", "address": {
                "@type": "PostalAddress", "streetAddress": r.address.removeprefix("广东省").removeprefix("东莞市"),
                "addressLocality": "东莞市",
                "addressRegion": "广东省", "addressCountry": "CN"}},
            "identifier": {"@type": "PropertyValue", "name": "莞工零工网", "value": r.native_id},
            "url": url,
            "applicationContact": {"@type": "ContactPoint", "name": r.contact, "telephone": r.phone},
        }
        if r.uscc:
            posting["hiringOrganization"]["identifier"] = r.uscc
        if r.expires_at:
            posting["validThrough"] = f"{r.expires_at.isoformat()}T23:59:59+08:00"
        if r.headcount.isdigit():
            posting["totalJobOpenings"] = int(r.headcount)
        salary = _base_salary(r.salary)
        if salary:
            posting["baseSalary"] = salary
        else:
            posting["description"] += f"<br>薪资：{r.salary}"
        doc: Any = posting
        if int(r.native_id) % 3 == 0:  # some pages put it in a @graph with breadcrumbs
            doc = {"@context": "https://schema.org/", "@graph": [
                {"@type": "BreadcrumbList", "itemListElement": [
                    {"@type": "ListItem", "position": 1, "name": "首页", "item": f"{self.url}/"}]},
                {k: v for k, v in posting.items() if k != "@context"}]}
        text = json.dumps(doc, ensure_ascii=False, indent=1).replace("</", "<\\/")
        if r.malformed == "invalid_json":
            text = text.replace('"url":', '"url":,', 1)  # a CMS template bug
        return f'<script type="application/ld+json">\n{text}\n</script>'
