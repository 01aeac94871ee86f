"""Cluster postings that are the same job, across sources and reposts within one.

Two stages, both over :class:`Features` (what a posting says that matters for matching):

1. **Candidates**: postings sharing a MinHash LSH band of their title+text
   shingles (datasketch ``MinHash``, 64 permutations, 16 bands of 4 rows: pairs
   with Jaccard ≥ ~0.5 collide with high probability), plus postings in the same
   city with the same employer key, credit code or phone (blocking).
2. **Confirmation** (:func:`same_job`): rapidfuzz on title and text, with hard
   vetoes: another city or county, another employer (key or credit code; keys
   compared without leading places, :func:`normalize.employer_core`), numbered
   sites (``南越宫站`` vs ``南越宫二站``), 全职 vs 兼职, pay that does not overlap,
   titles that differ by a place name or a number (``销售代表-昆山`` vs
   ``销售代表-太仓``), and titles naming two roles (:func:`normalize.same_role`:
   ``销售助理`` vs ``网络销售`` over one template text). A title naming no role
   (``月入三万不是梦想``) matches on near-identical text and pay; one employer,
   role, pay, contact and headcount is a re-listing even with its text rewritten.

Cluster ids are stable. A posting joins the cluster of its best confirmed match
(ties: the oldest cluster); a posting that matches nothing founds a cluster named
after itself (``c_…`` from its posting id). Clusters are never merged or renamed,
so a cluster id, once published, keeps meaning the same job; a changed posting
stays in its cluster while it still matches a member (or is alone), else moves.
Matching is incremental: features and LSH bands are stored (in the catalog for
harvests: :class:`CatalogStore`; in memory for the benchmark: :class:`MemoryStore`),
and a new posting is compared only with its candidates.
Operators' decisions (:mod:`aggregator.dedupe_decisions`: two postings are one job, or two) outrank
the rules: :func:`choose_cluster` sends a posting to the cluster of a posting it was decided one job
with, and never into the cluster of one it was decided two jobs with. :func:`decide` says which rule
decided a pair (``lingong dedupe explain``).

Fast paths, with the same results: :func:`signatures` computes many MinHashes at once with numpy
(bit-identical to datasketch's), and :func:`cluster_bulk` clusters a first load in bulk — the candidates
the incremental path would fetch, screened with numpy and rapidfuzz ``cpdist``, confirmed with
:func:`same_job`, assigned by the :func:`choose_cluster` rule — giving the ids one-by-one matching gives;
:func:`load_store` then lets matching go on incrementally.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple, Protocol

import numpy as np
from rapidfuzz import fuzz, process

from aggregator.catalog import Catalog
from aggregator.schema import JobPosting
from normalize import employer_core, title_key
from normalize.names import _is_place as names_is_place
from normalize.roles import same_role

NUM_PERM = 64
BANDS = 16
ROWS = NUM_PERM // BANDS
SHINGLE = 3
TEXT_CHARS = 240  # what of the description is compared: reposts differ in tails (contacts, trimming)
BLOCK_LIMIT = 100  # most candidates taken from one block or LSH bucket (the latest ones)
RELISTED_AFTER = 3 * 3600  # seconds: one employer's ads this far apart, same terms, looser title → a re-listing

# Role words that name one job in different words (both forms occur in real postings).
_SYNONYMS = (("网销", "网络销售"), ("电销", "电话销售"), ("话务员", "电话客服"), ("地推", "地面推广"),
             ("营业员", "店员"), ("快递员", "快递配送员"))
_PHONE_LIKE = re.compile(r"\d[\d\-\s]{6,}\d")
_NOT_TEXT = re.compile(r"[^0-9a-z\u3400-\u9fff]+")
_DIGITS = re.compile(r"\d+")


@lru_cache(maxsize=1)
def _permutations() -> tuple[Any, Any]:
    """datasketch's default affine32 parameters for 64 permutations (seed 1), as uint32 rows of shape (1, 64).

    Taken from datasketch so that :func:`signatures` matches ``MinHash(num_perm=NUM_PERM,
    hashfunc=zlib.crc32, scheme="affine32")`` bit for bit (tests/aggregator/test_dedupe.py checks it)
    and features stored before the vectorised hashing stay valid.
    """
    from datasketch import MinHash  # type: ignore[import-untyped]

    a, b = np.asarray(MinHash(num_perm=NUM_PERM, hashfunc=zlib.crc32, scheme="affine32").permutations,
                      dtype=np.uint32)
    return a[None, :].copy(), b[None, :].copy()


@lru_cache(maxsize=1)
def _crc_table() -> Any:
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ np.uint32(0xEDB88320), table >> 1).astype(np.uint32)
    return table


@dataclass(frozen=True, slots=True)
class Features:
    """What matching looks at, reduced from a posting (and stored between runs)."""

    posting_id: str
    source: str = ""
    province: str | None = None  # first 2 digits of the place code: LSH buckets and blocks are per province
    city: str | None = None  # first 4 digits of the place code
    county: str | None = None  # full code when county-level
    ekey: str | None = None  # employer key without its leading place names (佛山旭腾… → 旭腾…)
    branch: str | None = None  # 第九分公司, 太仓府南街分公司: the part of the name employer_key folds away
    uscc: str | None = None
    phone: str | None = None
    title: str = ""  # title key with role synonyms folded
    title_text: str = ""  # the title as posted (simplified): its separators tell listed roles apart (A/B)
    text: str = ""  # description, letters and digits only, phones removed, first TEXT_CHARS
    employment: str | None = None  # schedule.employment_type: full_time, part_time, hourly, temporary, …
    headcount: int | None = None
    pay_min: float | None = None
    pay_max: float | None = None
    pay_unit: str | None = None
    daily: float | None = None
    posted: float | None = None  # posted_at as a POSIX timestamp
    signature: bytes = b""  # MinHash hash values (uint32 × NUM_PERM)

    def bands(self) -> list[str]:
        """LSH band keys ``city|band index|hash of its rows``; empty when there is no text to hash.

        Scoped by province because postings in two provinces never match: a text used all over the
        country (an agency's template) then fills one bucket per province, not one huge bucket.
        (Not by city: a posting placed only at province level must still meet the city-level copies.)
        """
        if not self.signature:
            return []
        step = ROWS * 4
        return [f"{self.province or ''}|{i:02d}"
                f"{hashlib.blake2b(self.signature[i * step:(i + 1) * step], digest_size=8).hexdigest()}"
                for i in range(BANDS)]

    @property
    def terms(self) -> tuple[float | None, float | None, str, int] | None:
        """Pay and headcount when the posting states both (a re-listing under a looser title keeps them)."""
        if self.pay_unit is None or not self.headcount:
            return None
        return (self.pay_min, self.pay_max, self.pay_unit, self.headcount)

    def to_row(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


_BRANCH = re.compile(r"公司(.{1,12}?(?:分公司|分店|门店|营业部|分厂|办事处|店))$")


def _branch(name: str | None) -> str | None:
    m = _BRANCH.search(name or "")
    return m.group(1) if m else None


def fold_title(title: str | None) -> str:
    key = title_key(title) or ""
    for short, long in _SYNONYMS:
        if short in key and long not in key:
            key = key.replace(short, long)
    return key


def clean_text(text: str | None) -> str:
    if not text:
        return ""
    text = _PHONE_LIKE.sub("", text.lower())
    return _NOT_TEXT.sub("", text)[:TEXT_CHARS]


def signature(title: str, text: str) -> bytes:
    """MinHash (datasketch affine32 scheme, crc32 hashes) of the 3-character shingles of title and text."""
    return signatures([(title, text)])[0]


def _utf8_bytes(cps: Any) -> tuple[list[Any], Any]:
    """The UTF-8 bytes (4 arrays, unused ones 0) and byte counts of an array of code points."""
    cps = cps.astype(np.uint32)
    n = np.where(cps < 0x80, 1, np.where(cps < 0x800, 2, np.where(cps < 0x10000, 3, 4))).astype(np.uint8)
    lead = np.where(n == 1, cps, np.where(n == 2, 0xC0 | (cps >> 6),
                                          np.where(n == 3, 0xE0 | (cps >> 12), 0xF0 | (cps >> 18))))
    cont = [0x80 | ((cps >> shift) & 0x3F) for shift in (18, 12, 6, 0)]
    # byte k of a character of n bytes: the lead, then continuation bytes for shifts 6 * (n - 1 - k) … 0
    b1 = np.where(n == 2, cont[3], np.where(n == 3, cont[2], cont[1]))
    b2 = np.where(n == 3, cont[3], cont[2])
    b3 = cont[3]
    return [lead.astype(np.uint32), b1.astype(np.uint32), b2.astype(np.uint32), b3.astype(np.uint32)], n


def signatures(pairs: Sequence[tuple[str, str]], chunk_chars: int = 1 << 17) -> list[bytes]:
    """:func:`signature` of many (title, text) pairs at once, vectorised with numpy.

    Same values as datasketch ``MinHash(hashfunc=zlib.crc32, scheme="affine32").update_batch`` over the
    shingles (crc32 computed table-driven over all shingles' UTF-8 bytes; murmur3 finaliser; affine
    permutations; min per posting), at a fraction of the per-posting Python cost. Works through chunks of
    about ``chunk_chars`` characters, so the (permutations × shingles) matrix stays in cache.
    """
    out: list[bytes] = []
    start = size = 0
    for end, (title, text) in enumerate(pairs, 1):
        size += len(title) + len(text) + 1
        if size >= chunk_chars or end == len(pairs):
            out.extend(_signatures(pairs[start:end]))
            start, size = end, 0
    return out


def _signatures(pairs: Sequence[tuple[str, str]]) -> list[bytes]:
    blobs = [title + "|" + text for title, text in pairs]
    lengths = np.fromiter((len(b) for b in blobs), dtype=np.int64, count=len(blobs))
    out = [b""] * len(blobs)
    counts = np.maximum(lengths - SHINGLE + 1, 0)
    counts[lengths < SHINGLE + 1] = 0
    if not counts.any():
        return out
    cps = np.frombuffer("".join(blobs).encode("utf-32-le"), dtype=np.uint32)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    owner = np.repeat(np.arange(len(blobs)), counts)
    first = np.repeat(starts, counts)
    offset = np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)
    pos = first + offset  # where each shingle starts in cps
    table = _crc_table()
    bytes_, nbytes = _utf8_bytes(cps)
    crc = np.full(len(pos), 0xFFFFFFFF, dtype=np.uint32)
    for j in range(SHINGLE):
        at = pos + j
        n = nbytes[at]
        for k in range(4):
            step = table[(crc ^ bytes_[k][at]) & 0xFF] ^ (crc >> 8)
            crc = np.where(k < n, step, crc)
    hv = crc ^ np.uint32(0xFFFFFFFF)
    hv ^= hv >> 16  # murmur3 fmix32 (datasketch's pre-mix for affine schemes)
    hv *= np.uint32(0x85EBCA6B)
    hv ^= hv >> 13
    hv *= np.uint32(0xC2B2AE35)
    hv ^= hv >> 16
    a, b = _permutations()
    phv = np.multiply(a.T, hv[None, :])  # (NUM_PERM, shingles): reduceat along rows is cache-friendly
    phv += b.T
    bounds = np.concatenate(([0], np.cumsum(counts)))
    have = np.flatnonzero(counts)
    mins = np.ascontiguousarray(np.minimum.reduceat(phv, bounds[have], axis=1).T)
    for row, i in enumerate(have):
        out[i] = mins[row].tobytes()
    return out


def features(posting: JobPosting) -> Features:
    code = posting.location.code
    s = posting.salary
    title = fold_title(posting.title)
    text = clean_text(posting.description)
    return Features(
        posting_id=posting.id,
        source=posting.source_id,
        province=code[:2] if code else None,
        city=code[:4] if code and code[2:4] != "00" else None,
        county=code if code and code[4:] != "00" else None,
        ekey=employer_core(posting.employer.name_key),
        branch=_branch(posting.employer.name),
        uscc=posting.employer.uscc,
        phone=posting.contact.phone,
        title=title,
        title_text=posting.title or "",
        text=text,
        employment=posting.schedule.employment_type,
        headcount=posting.headcount,
        pay_min=s.min if s else None,
        pay_max=s.max if s else None,
        pay_unit=s.unit if s else None,
        daily=s.daily_estimate if s else None,
        posted=posting.posted_at.timestamp() if posting.posted_at else None,
        signature=signature(title, text),
    )


# --- confirmation --------------------------------------------------------------------------------


def _pay_conflict(a: Features, b: Features) -> bool:
    """Both state pay and it cannot be the same offer (bands that only touch, 3000-5000 vs 5000-10000, conflict)."""
    if a.pay_unit and a.pay_unit == b.pay_unit:
        lo_a, hi_a = a.pay_min or a.pay_max, a.pay_max or a.pay_min
        lo_b, hi_b = b.pay_min or b.pay_max, b.pay_max or b.pay_min
        if lo_a is None or lo_b is None or hi_a is None or hi_b is None or (lo_a, hi_a) == (lo_b, hi_b):
            return False
        return lo_a >= hi_b or lo_b >= hi_a
    if a.daily and b.daily:
        return max(a.daily, b.daily) > 1.5 * min(a.daily, b.daily)
    return False


def _same_pay(a: Features, b: Features) -> bool:
    """The same stated pay, or pay stated by one side only."""
    if a.pay_unit is None or b.pay_unit is None:
        return True
    return (a.pay_min, a.pay_max, a.pay_unit) == (b.pay_min, b.pay_max, b.pay_unit)


def _residues(a: str, b: str) -> tuple[str, str]:
    """What is left of each title after removing their longest common block."""
    m = fuzz_match(a, b)
    if m is None:
        return a, b
    i, j, n = m
    return a[:i] + a[i + n:], b[:j] + b[j + n:]


def fuzz_match(a: str, b: str) -> tuple[int, int, int] | None:
    from difflib import SequenceMatcher

    m = SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    return (m.a, m.b, m.size) if m.size >= 2 else None


_NUMERAL = re.compile(r"[0-9一二三四五六七八九十]")


def _numbered(a: str, b: str) -> bool:
    """Names that differ by a number: 南越宫站 / 南越宫二站, 第一分店 / 第三分店."""
    ra, rb = _residues(a, b)
    return bool(_NUMERAL.search(ra) or _NUMERAL.search(rb))


def _variant_titles(a: str, b: str) -> bool:
    """Titles that name variants of one role: another place (昆山/太仓), another number (1号仓/2号仓)."""
    da, db = _DIGITS.findall(a), _DIGITS.findall(b)
    if da and db and da != db:
        return True
    ra, rb = _residues(a, b)
    if not ra or not rb:
        return False
    # 营业员（渝北） / 营业员（人和）: short residues, one of them a place name
    return (_is_place(ra) and _is_place(rb)) or (max(len(ra), len(rb)) <= 4 and (_is_place(ra) or _is_place(rb)))


@lru_cache(maxsize=8192)
def _is_place(text: str) -> bool:
    from normalize import parse_location

    if len(text) > 6:
        return False
    if names_is_place(text):  # every division's name and short name (渝北, 人和)
        return True
    loc = parse_location(text)
    return loc is not None and loc.code is not None


def title_similarity(a: str, b: str) -> tuple[float, bool]:
    """(similarity 0..1, whether it rests on one title containing the other rather than on the whole titles)."""
    if not a or not b:
        return 0.0, False
    r = float(fuzz.ratio(a, b)) / 100.0
    if min(len(a), len(b)) >= 2:
        partial = float(fuzz.partial_ratio(a, b)) * 0.95 / 100.0
        if partial > r:
            return partial, True
    return r, False


class Decision(NamedTuple):
    """How :func:`decide` judged a pair: ``score`` in (0, 1] when one job, else 0.0; ``rule`` names the rule
    that decided (``city``, ``roles``, ``relisted`` …) and ``reason`` says it in words."""

    score: float
    rule: str
    reason: str


_NOT_CITY = Decision(0.0, "city", "two cities")
_NOT_COUNTY = Decision(0.0, "county", "two counties (districts)")
_NOT_USCC = Decision(0.0, "uscc", "two credit codes")
_NOT_BRANCH = Decision(0.0, "branch", "two branches (stores, 分公司) of one company: two workplaces")
_NOT_EMPLOYMENT = Decision(0.0, "employment", "全职 and 兼职 (or hourly, temporary) are two jobs")
_NOT_EMPLOYER = Decision(0.0, "employer", "two employers, or two numbered sites of one (南越宫站 / 南越宫二站)")
_NOT_CONTACTS = Decision(0.0, "contacts", "one source, two contacts: two openings (a repost keeps its contact)")
_NOT_NO_EMPLOYER = Decision(0.0, "no_employer",
                            "nothing says it is one employer (an employer missing, no shared phone)")
_NOT_ROLES = Decision(0.0, "roles", "the titles name two roles (销售助理 / 网络销售): two openings, whatever the text")
_NOT_VARIANT = Decision(0.0, "variant",
                        "one role at two places or sites (销售代表-昆山 / 销售代表-太仓, 1号仓 / 2号仓)")
_NOT_OPENINGS = Decision(0.0, "openings", "another headcount and another pay: a separate opening, whatever the text")
_NOT_TEXTS = Decision(0.0, "text",
                     "titles alike but the texts differ (and not a re-listing: role, pay, contact, headcount)")
_NOT_PAY = Decision(0.0, "pay", "the pay conflicts and the texts are not near-identical")
_NOT_UNLIKE = Decision(0.0, "unlike", "titles unlike or naming no role; texts not near-identical, or the pay conflicts")


def same_job(a: Features, b: Features) -> float:
    """Score in (0, 1] when ``a`` and ``b`` are the same job, else 0.0 (:func:`decide` says why)."""
    return decide(a, b).score


def decide(a: Features, b: Features) -> Decision:
    """Whether ``a`` and ``b`` are the same job, and the rule that says so."""
    if a.city and b.city and a.city != b.city:
        return _NOT_CITY
    if a.county and b.county and a.county != b.county:
        return _NOT_COUNTY
    if a.uscc and b.uscc and a.uscc != b.uscc:
        return _NOT_USCC
    if a.branch and b.branch and a.branch != b.branch:
        return _NOT_BRANCH
    if a.employment and b.employment and (a.employment == "full_time") != (b.employment == "full_time"):
        return _NOT_EMPLOYMENT
    same_employer = bool(a.ekey and a.ekey == b.ekey) or bool(a.uscc and a.uscc == b.uscc)
    if a.ekey and b.ekey and not same_employer and (fuzz.ratio(a.ekey, b.ekey) < 90 or _numbered(a.ekey, b.ekey)):
        return _NOT_EMPLOYER
    same_phone = bool(a.phone and a.phone == b.phone)
    if a.source == b.source and a.phone and b.phone and not same_phone:
        return _NOT_CONTACTS
    if not (same_employer or same_phone or (a.ekey and b.ekey)):
        return _NOT_NO_EMPLOYER  # identical texts from two agencies stay apart
    one_role = same_role(a.title_text or a.title, b.title_text or b.title, a.ekey, b.ekey)
    if one_role is False:
        return _NOT_ROLES
    if one_role and _variant_titles(a.title, b.title):
        return _NOT_VARIANT
    pay_conflict = _pay_conflict(a, b)
    if pay_conflict and a.headcount and b.headcount and a.headcount != b.headcount:
        return _NOT_OPENINGS  # 理财经理 ×5 at 3000-5000 / ×50 at 5000-10000 over one text
    ts, contained = title_similarity(a.title, b.title)
    ds = float(fuzz.ratio(a.text, b.text)) / 100.0 if a.text and b.text else None
    # One employer's role re-listed later under a looser title (销售精英 / 网络销售专员 / 中环城销售精英) with
    # every term stated on both sides and equal (pay, headcount): a re-listing whatever the text says. Ads
    # one employer posts within a few hours of each other under two titles are two openings (销售代表 /
    # 电话销售 seconds apart over one template).
    same_terms = bool(one_role) and same_employer and not (a.phone and b.phone and not same_phone) and (
        a.terms is not None and a.terms == b.terms and a.posted is not None and b.posted is not None
        and abs(a.posted - b.posted) >= RELISTED_AFTER)
    if ts >= 0.85 or (one_role and ts >= 0.6):
        # one employer, role, pay, contact and headcount: a re-listing, even with its text rewritten
        relisted = same_terms or (bool(one_role) and same_employer and not (a.phone and b.phone and not same_phone)
                    and _same_pay(a, b) and not (a.headcount and b.headcount and a.headcount != b.headcount)
                    and bool(same_role(a.title_text or a.title, b.title_text or b.title, a.ekey, b.ekey,
                                       exact=True)))
        # 操作工 inside 煤气站操作工 may be a narrower role: the texts must agree more.
        if ds is not None and ds < (0.8 if contained or ts < 0.85 else 0.5) and not relisted:
            return _NOT_TEXTS
        if pay_conflict and (ds is None or ds < 0.9):
            return _NOT_PAY
        score = 0.5 + 0.3 * ts + 0.2 * (ds if ds is not None else 0.5)
        if relisted and (ds is None or ds < 0.5):
            return Decision(score, "relisted", "one employer's role re-listed with its pay, contact and headcount")
        return Decision(score, "similar", f"one role or like titles ({ts:.2f}), texts agree"
                        + (f" ({ds:.2f})" if ds is not None else " (no text on one side)"))
    if same_terms:
        return Decision(0.3 * ts + 0.4 * (ds if ds is not None else 0.5), "relisted",
                        "one employer's role re-listed hours later under a looser title, pay and headcount equal")
    # Titles unlike or naming no role (retitled reposts, clickbait): the text and the pay carry it.
    if ds is not None and ds >= 0.85 and not pay_conflict:
        return Decision(0.3 * ts + 0.4 * ds, "retitled",
                        f"titles unlike or naming no role (clickbait), near-identical texts ({ds:.2f})")
    return _NOT_UNLIKE


# --- stores --------------------------------------------------------------------------------------


class Store(Protocol):
    """Where features, bands and cluster assignments live between postings."""

    def get(self, posting_id: str) -> tuple[Features, str] | None: ...

    def candidates(self, f: Features) -> list[tuple[Features, str]]: ...

    def put(self, f: Features, cluster_id: str, seq_hint: int = 0) -> None: ...

    def cluster_has_others(self, cluster_id: str, posting_id: str) -> bool: ...

    def members(self, cluster_id: str) -> list[Features]: ...

    def cluster_in_use(self, cluster_id: str) -> bool: ...

    def cluster_age(self, cluster_id: str) -> int: ...

    def decisions(self, posting_id: str) -> dict[str, bool]:
        """Operators' decisions naming the posting: {other posting id: one job?}
        (:mod:`aggregator.dedupe_decisions`)."""
        ...


class MemoryStore:
    """In-memory store (benchmark, tests): dicts of features, bands and blocks."""

    def __init__(self) -> None:
        self.feats: dict[str, tuple[Features, str]] = {}
        self.bands: dict[Any, list[str]] = defaultdict(list)
        self.blocks: dict[str, list[str]] = defaultdict(list)
        self.by_cluster: dict[str, set[str]] = defaultdict(set)
        self.born: dict[str, int] = {}
        self.decided: dict[str, dict[str, bool]] = defaultdict(dict)

    def decide(self, a: str, b: str, same: bool) -> None:
        """Record an operator's decision (the catalog's ``dedupe_decisions`` for this store)."""
        self.decided[a][b] = self.decided[b][a] = same

    def decisions(self, posting_id: str) -> dict[str, bool]:
        return self.decided.get(posting_id, {})

    def get(self, posting_id: str) -> tuple[Features, str] | None:
        return self.feats.get(posting_id)

    def candidates(self, f: Features) -> list[tuple[Features, str]]:
        ids: set[str] = set()
        for band in _band_keys(f):
            ids.update(self.bands.get(band, ())[-BLOCK_LIMIT:])
        for block in _blocks(f):
            ids.update(self.blocks.get(block, ())[-BLOCK_LIMIT:])
        ids.discard(f.posting_id)
        return [self.feats[i] for i in ids]

    def put(self, f: Features, cluster_id: str, seq_hint: int = 0) -> None:
        old = self.feats.get(f.posting_id)
        if old is not None:
            self.by_cluster[old[1]].discard(f.posting_id)
            for band in _band_keys(old[0]):
                self.bands[band].remove(f.posting_id)
            for block in _blocks(old[0]):
                self.blocks[block].remove(f.posting_id)
        self.feats[f.posting_id] = (f, cluster_id)
        self.by_cluster[cluster_id].add(f.posting_id)
        self.born.setdefault(cluster_id, len(self.born))
        for band in _band_keys(f):
            self.bands[band].append(f.posting_id)
        for block in _blocks(f):
            self.blocks[block].append(f.posting_id)

    def cluster_has_others(self, cluster_id: str, posting_id: str) -> bool:
        return bool(self.by_cluster.get(cluster_id, set()) - {posting_id})

    def members(self, cluster_id: str) -> list[Features]:
        return [self.feats[i][0] for i in self.by_cluster.get(cluster_id, ())]

    def cluster_in_use(self, cluster_id: str) -> bool:
        return bool(self.by_cluster.get(cluster_id))

    def cluster_age(self, cluster_id: str) -> int:
        return self.born.get(cluster_id, 1 << 62)


def _band_keys(f: Features) -> list[tuple[str | None, int, bytes]]:
    """In-memory LSH band keys: the same buckets as :meth:`Features.bands` without hashing or formatting."""
    step = ROWS * 4
    sig = f.signature
    return [(f.province or "", i, sig[i * step:(i + 1) * step]) for i in range(BANDS)] if sig else []


def _blocks(f: Features) -> list[str]:
    """Blocking keys: one province and one employer, credit code or phone."""
    return [f"{f.province or ''}|{kind}|{v}" for kind, v in (("e", f.ekey), ("u", f.uscc), ("p", f.phone)) if v]


class CatalogStore:
    """Features and LSH bands in the catalog, so every run (and process) matches against what exists."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def get(self, posting_id: str) -> tuple[Features, str] | None:
        row = self.catalog.dedupe_features(posting_id)
        return (features_from_row(row["features"]), row["cluster_id"]) if row else None

    def candidates(self, f: Features) -> list[tuple[Features, str]]:
        rows = self.catalog.dedupe_candidates(f.posting_id, f.bands(), _blocks(f), BLOCK_LIMIT)
        return [(features_from_row(r["features"]), r["cluster_id"]) for r in rows]

    def put(self, f: Features, cluster_id: str, seq_hint: int = 0) -> None:
        self.catalog.put_dedupe_features(f.posting_id, cluster_id, _jsonable(f), f.bands(), _blocks(f))

    def cluster_has_others(self, cluster_id: str, posting_id: str) -> bool:
        return self.catalog.cluster_size(cluster_id, exclude=posting_id) > 0

    def cluster_in_use(self, cluster_id: str) -> bool:
        return self.catalog.cluster_size(cluster_id) > 0

    def members(self, cluster_id: str) -> list[Features]:
        return [features_from_row(r) for r in self.catalog.cluster_features(cluster_id)]

    def cluster_age(self, cluster_id: str) -> int:
        return self.catalog.cluster_born(cluster_id)

    def decisions(self, posting_id: str) -> dict[str, bool]:
        return self.catalog.dedupe_decisions_of(posting_id)


def _jsonable(f: Features) -> dict[str, Any]:
    row = f.to_row()
    row["signature"] = f.signature.hex()
    return row


def features_from_row(row: dict[str, Any]) -> Features:
    row = {k: v for k, v in row.items() if k in _FIELDS}  # rows stored before a field was added lack it
    row["signature"] = bytes.fromhex(row.get("signature") or "")
    return Features(**row)


_FIELDS = frozenset(Features.__slots__)


# --- assignment ----------------------------------------------------------------------------------


def choose_cluster(store: Store, f: Features, content_hash: str = "") -> str:
    """The cluster ``f`` belongs to (existing or new); records the assignment in ``store``.

    A posting joins a cluster only when it matches at least half of the cluster's other members,
    so one loose match cannot chain two different jobs together (电话销售 ~ 二手房销售代表 ~ 二手房租赁专员).
    """
    prev = store.get(f.posting_id)
    # Operators' decisions outrank the matcher: a posting decided one job with a clustered posting goes to
    # its cluster; one decided two jobs with a posting never joins that posting's cluster.
    decided = store.decisions(f.posting_id)
    forced: str | None = None
    apart: set[str] = set()
    for other_id, same in sorted(decided.items()):
        got = store.get(other_id)
        if got is None:
            continue
        if same and forced is None:
            forced = got[1]
        elif not same:
            apart.add(got[1])
    if forced is not None:
        store.put(f, forced)
        return forced
    matched: dict[str, float] = {}
    for other, cluster in store.candidates(f):
        if cluster in apart:
            continue
        s = same_job(f, other)
        if s > 0.0:
            matched[cluster] = max(s, matched.get(cluster, 0.0))
    accepted: list[tuple[float, float, str]] = []
    for cluster, best in matched.items():
        members = [m for m in store.members(cluster) if m.posting_id != f.posting_id]
        agree = sum(same_job(f, m) > 0.0 for m in members) / len(members) if members else 1.0
        if agree >= 0.5:
            accepted.append((agree, best, cluster))
    chosen: str | None = None
    if prev is not None and prev[1] not in apart:
        current = prev[1]
        # Sticky: a changed posting keeps its cluster while it still matches it, or is alone in it.
        if any(c == current for _, _, c in accepted) or not store.cluster_has_others(current, f.posting_id):
            chosen = current
    if chosen is None and accepted:
        top = max((a, b) for a, b, _ in accepted)
        chosen = min((c for a, b, c in accepted if (a, b) == top), key=store.cluster_age)
    if chosen is None:
        chosen = new_cluster_id(store, f.posting_id, content_hash)
    store.put(f, chosen)
    return chosen


def new_cluster_id(store: Store, posting_id: str, content_hash: str = "") -> str:
    """The id of a cluster ``posting_id`` founds: ``c_…`` from its posting id, or, when it founded one it has
    since left, from its posting id and content."""
    chosen = "c" + posting_id[1:]
    if store.cluster_in_use(chosen):
        chosen = "c_" + hashlib.sha1(f"{posting_id}\x1f{content_hash}".encode()).hexdigest()[:16]
    return chosen


def assign_cluster(catalog: Catalog, posting: JobPosting) -> tuple[str, str | None]:
    """The posting's cluster id (existing or new) and its blocking key (employer|city), stored in the catalog."""
    f = features(posting)
    cluster = choose_cluster(CatalogStore(catalog), f, posting.provenance.content_hash)
    key = f"{f.ekey or f.phone or ''}|{f.city or ''}" if (f.ekey or f.phone) else None
    return cluster, key


#: What the stored features hold; bumped when :func:`features` changes, so a catalog written by an older
#: lingong gets its stored features recomputed (:func:`refresh_features`) before matching goes on.
#: 2: employer keys without leading places (employer_core), title_text, employment, headcount.
#: 3: posted (a re-listing under a looser title comes hours after the first ad).
FEATURES_VERSION = 3


def refresh_features(catalog: Catalog, progress: Callable[[int, int], None] | None = None) -> int:
    """Recompute the stored features of every clustered posting when they predate :data:`FEATURES_VERSION`.

    Cluster ids stay as they are (nothing is re-clustered: published ids keep their meaning); features,
    bands and blocks are rewritten in the order they were stored, so "the latest postings of a block"
    stays what it was. One transaction; returns how many postings were refreshed (0 when current).
    """
    if int(catalog.get_meta("dedupe_features_version") or 1) >= FEATURES_VERSION:
        return 0
    with catalog.transaction():
        ids = catalog.dedupe_posting_ids()
        done = 0
        for posting_id, cluster_id in ids:
            posting = catalog.get_posting(posting_id)
            if posting is not None:
                f = features(posting)
                catalog.put_dedupe_features(posting_id, cluster_id, _jsonable(f), f.bands(), _blocks(f))
            done += 1
            if progress is not None and (done % 10_000 == 0 or done == len(ids)):
                progress(done, len(ids))
        catalog.set_meta("dedupe_features_version", str(FEATURES_VERSION))
    return done


def cluster_all(items: Iterable[Features], store: Store | None = None) -> dict[str, str]:
    """Cluster features one by one (arrival order); return {posting_id: cluster_id}."""
    store = store if store is not None else MemoryStore()
    return {f.posting_id: choose_cluster(store, f) for f in items}


# --- bulk (first load) ---------------------------------------------------------------------------


def _codes(values: Iterable[Any]) -> Any:
    """Integer codes of values, 0 for falsy ones (None, ""): equal codes ⇔ equal values."""
    seen: dict[Any, int] = {}
    return np.fromiter((seen.setdefault(v, len(seen) + 1) if v else 0 for v in values), dtype=np.int64)


class _Buckets:
    """Bucket entries (key, row) sorted by key, rows in arrival order within a bucket; for each entry,
    how many earlier entries its bucket holds."""

    def __init__(self, keys: Any, rows: Any) -> None:
        order = np.argsort(keys, kind="stable")
        k = keys[order]
        self.rows = rows[order]
        new = np.ones(len(k), dtype=bool)
        new[1:] = k[1:] != k[:-1]
        start = np.maximum.accumulate(np.where(new, np.arange(len(k)), 0))
        self.depth = np.minimum(np.arange(len(k)) - start, BLOCK_LIMIT)
        self.has = np.flatnonzero(self.depth > 0)  # entries with something earlier in their bucket

    def pairs(self, lo: int, hi: int) -> Any:
        """``row << 32 | earlier`` for rows in [lo, hi), each with the latest BLOCK_LIMIT earlier rows of a bucket."""
        r = self.rows[self.has]
        idx = self.has[(r >= lo) & (r < hi)]
        out = []
        for d in range(1, BLOCK_LIMIT + 1):
            idx = idx[self.depth[idx] >= d]
            if not len(idx):
                break
            out.append((self.rows[idx].astype(np.int64) << 32) | self.rows[idx - d].astype(np.int64))
        return _sorted_unique(np.concatenate(out)) if out else np.zeros(0, dtype=np.int64)


def _hash_rows(cols: Any) -> Any:
    """A 64-bit hash per row of a uint64 matrix (splitmix-style mixing; collisions ~2⁻⁶⁴ per pair)."""
    h = np.zeros(cols.shape[0], dtype=np.uint64)
    for c in range(cols.shape[1]):
        h = (h ^ cols[:, c]) * np.uint64(0x9E3779B97F4A7C15)
        h ^= h >> np.uint64(29)
    return h


def _buckets(feats: Sequence[Features]) -> _Buckets:
    prov = _codes(f.province or "·" for f in feats).astype(np.uint64)
    keys: list[Any] = []
    rows: list[Any] = []
    hit = np.flatnonzero(np.fromiter((bool(f.signature) for f in feats), dtype=bool, count=len(feats)))
    if len(hit):
        sig = np.frombuffer(b"".join(feats[int(i)].signature for i in hit), dtype=np.uint32).reshape(len(hit), NUM_PERM)
        for band in range(BANDS):
            cols = np.column_stack([prov[hit], np.full(len(hit), band + 1, dtype=np.uint64),
                                    sig[:, band * ROWS:(band + 1) * ROWS].astype(np.uint64)])
            keys.append(_hash_rows(cols))
            rows.append(hit)
    for kind, attr in ((1 << 40, "ekey"), (2 << 40, "uscc"), (3 << 40, "phone")):
        code = _codes(getattr(f, attr) for f in feats).astype(np.uint64)
        on = np.flatnonzero(code)
        if len(on):
            cols = np.column_stack([prov[on], np.full(len(on), kind + BANDS + 1, dtype=np.uint64), code[on]])
            keys.append(_hash_rows(cols))
            rows.append(on)
    if not keys:
        return _Buckets(np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64))
    return _Buckets(np.concatenate(keys), np.concatenate(rows))


def candidate_pairs(feats: Sequence[Features]) -> tuple[Any, Any]:
    """Every (posting, candidate) pair the incremental path would look at, for postings in arrival order.

    Rows ``i`` and candidates ``j < i`` (int64 arrays), deduplicated: the latest :data:`BLOCK_LIMIT`
    earlier postings of each LSH band (same province) and of each block (employer key, credit code, phone).
    """
    pairs = _buckets(feats).pairs(0, len(feats))
    return pairs >> 32, pairs & 0xFFFFFFFF


def _sorted_unique(codes: Any) -> Any:
    """``np.unique`` by sorting (numpy 2's hash-based unique is ~30× slower on millions of int64)."""
    codes = np.sort(codes)
    if len(codes):
        codes = codes[np.concatenate(([True], codes[1:] != codes[:-1]))]
    return codes


def _pairwise(scorer: Any, a: Any, b: Any, ia: Any, ib: Any, workers: int) -> Any:
    """``scorer(a[ia[k]], b[ib[k]])`` for every k (``a``, ``b``: object arrays of strings), computed once per
    distinct (ia, ib) pair with rapidfuzz cpdist."""
    if not len(ia):
        return np.zeros(0)
    code = (ia.astype(np.int64) << 32) | ib.astype(np.int64)
    uniq = _sorted_unique(code)
    inverse = np.searchsorted(uniq, code)
    left = a[uniq >> 32]
    right = b[uniq & 0xFFFFFFFF]
    scores = process.cpdist(left, right, scorer=scorer, workers=workers, dtype=np.float64)
    return np.asarray(scores)[inverse]


class _Columns:
    """Integer codes of the fields :func:`same_job` compares (0 = missing), and the strings behind them."""

    city: Any
    county: Any
    uscc: Any
    branch: Any
    ekey: Any
    phone: Any
    source: Any
    title: Any
    text: Any
    employment: Any
    terms: Any
    full_time: int  # the code of "full_time" in ``employment`` (-1: none)

    def __init__(self, feats: Sequence[Features]) -> None:
        for attr in ("city", "county", "uscc", "branch", "ekey", "phone", "source", "title", "text", "employment"):
            setattr(self, attr, _codes(getattr(f, attr) for f in feats))
        self.terms = _codes(f.terms for f in feats)
        kinds = self._strings(feats, "employment")
        self.full_time = int(np.flatnonzero(kinds == "full_time")[0]) if (kinds == "full_time").any() else -1
        self.ekeys = self._strings(feats, "ekey")
        self.titles = self._strings(feats, "title")
        self.texts = self._strings(feats, "text")
        # per employer key: its length and a 64-bit map of its characters (for a cheap bound on fuzz.ratio)
        self.ekey_len = np.array([len(k) for k in self.ekeys], dtype=np.int64)
        self.ekey_bits = np.array([_char_bits(k) for k in self.ekeys], dtype=np.uint64)

    def _strings(self, feats: Sequence[Features], attr: str) -> Any:
        codes = getattr(self, attr)
        out = [""] * (int(codes.max()) + 1 if len(codes) else 1)
        for f, c in zip(feats, codes.tolist(), strict=True):
            out[c] = getattr(f, attr) or ""
        return np.array(out, dtype=object)


def _char_bits(text: str) -> int:
    """One bit per distinct character (by code point mod 64)."""
    bits = 0
    for ch in set(text):
        bits |= 1 << (ord(ch) % 64)
    return bits


def _ekeys_far(col: _Columns, ea: Any, eb: Any) -> Any:
    """Pairs of employer keys whose ``fuzz.ratio`` is certainly below 90.

    Every bit set in one character map and not the other stands for a distinct character in one key and
    not the other, and each such character costs at least one insertion or deletion; ratio < 90 ⇔ Indel
    distance > 0.1 × (total length). So more differing bits than that bound means ratio < 90, without
    computing it.
    """
    differing = np.bitwise_count(col.ekey_bits[ea] ^ col.ekey_bits[eb]).astype(np.int64)
    return differing * 10 > col.ekey_len[ea] + col.ekey_len[eb]


def screen_pairs(feats: Sequence[Features], ii: Any, jj: Any, workers: int = -1,
                 columns: _Columns | None = None) -> tuple[Any, Any]:
    """The pairs that :func:`same_job` may accept; the others it certainly scores 0.0.

    Its cheap vetoes (city, county, credit code, branch, employer, contacts, title similarity < 0.6
    unless the texts are near-identical or one employer states the same pay and headcount, 全职 vs 兼职)
    are applied to all pairs at once with numpy and rapidfuzz ``cpdist``; the screen is conservative (a
    small margin on the thresholds), so :func:`same_job` on the survivors decides exactly.
    """
    col = columns if columns is not None else _Columns(feats)
    # the employer stage first: it drops most pairs (one template text, many employers)
    ekey, uscc, phone = col.ekey, col.uscc, col.phone
    ea, eb = ekey[ii], ekey[jj]
    both = (ea > 0) & (eb > 0)
    same_employer = (ea == eb) & (ea > 0)
    ua, ub = uscc[ii], uscc[jj]
    same_employer |= (ua == ub) & (ua > 0)
    pa, pb = phone[ii], phone[jj]
    same_phone = (pa == pb) & (pa > 0)
    keep = same_employer | same_phone | both
    other = np.flatnonzero(keep & both & ~same_employer)
    keep[other[_ekeys_far(col, ea[other], eb[other])]] = False
    ii, jj = ii[keep], jj[keep]

    def veto(codes: Any) -> Any:
        a, b = codes[ii], codes[jj]
        return (a > 0) & (b > 0) & (a != b)

    keep = ~(veto(col.city) | veto(col.county) | veto(col.uscc) | veto(col.branch))
    ja, jb = col.employment[ii], col.employment[jj]
    keep &= ~((ja > 0) & (jb > 0) & ((ja == col.full_time) != (jb == col.full_time)))
    pa, pb = phone[ii], phone[jj]
    keep &= ~((col.source[ii] == col.source[jj]) & (pa > 0) & (pb > 0) & (pa != pb))
    ii, jj = ii[keep], jj[keep]
    ea, eb = ekey[ii], ekey[jj]
    same_employer = ((ea > 0) & (ea == eb)) | ((uscc[ii] > 0) & (uscc[ii] == uscc[jj]))
    other = np.flatnonzero((ea > 0) & (eb > 0) & ~same_employer)
    if len(other):
        ratio = _pairwise(fuzz.ratio, col.ekeys, col.ekeys, ea[other], eb[other], workers)
        keep = np.ones(len(ii), dtype=bool)
        keep[other[ratio < 90.0 - 1e-9]] = False
        ii, jj = ii[keep], jj[keep]
    title = col.title
    ta, tb = title[ii], title[jj]
    keep = (ta > 0) & (tb > 0)
    ii, jj, ta, tb = ii[keep], jj[keep], ta[keep], tb[keep]
    differ = np.flatnonzero(ta != tb)  # equal titles: similarity 1.0
    if len(differ):
        ratio = _pairwise(fuzz.ratio, col.titles, col.titles, ta[differ], tb[differ], workers)
        partial = _pairwise(fuzz.partial_ratio, col.titles, col.titles, ta[differ], tb[differ], workers)
        best = np.maximum(ratio / 100.0, partial * 0.95 / 100.0)  # partial only counts for titles of ≥ 2 chars
        unlike = differ[best < 0.6 - 1e-9]
        # unlike titles still match on near-identical text when a title names no role (clickbait retitling)
        xa, xb = col.text[ii[unlike]], col.text[jj[unlike]]
        has_text = (xa > 0) & (xb > 0)
        texts = np.zeros(len(unlike))
        texts[has_text] = _pairwise(fuzz.ratio, col.texts, col.texts, xa[has_text], xb[has_text], workers)
        # ... and one employer's role re-listed with the same stated pay and headcount
        ua, ub = ii[unlike], jj[unlike]
        terms = ((col.terms[ua] > 0) & (col.terms[ua] == col.terms[ub])
                 & (((ekey[ua] > 0) & (ekey[ua] == ekey[ub])) | ((uscc[ua] > 0) & (uscc[ua] == uscc[ub]))))
        keep = np.ones(len(ii), dtype=bool)
        keep[unlike[(texts < 85.0 - 1e-9) & ~terms]] = False
        ii, jj = ii[keep], jj[keep]
    return ii, jj


def cluster_bulk(feats: Sequence[Features], workers: int = -1, chunk: int = 100_000,
                 stats: dict[str, float] | None = None) -> list[str]:
    """Cluster ids for postings arriving in this order into an empty store, computed in bulk.

    The same ids as ``[choose_cluster(MemoryStore(), f) for f in feats]`` (tests check it): candidates
    are the pairs the incremental path would fetch (:func:`candidate_pairs`), generated ``chunk`` postings
    at a time, screened in bulk (:func:`screen_pairs`) and confirmed with :func:`same_job`; the assignment
    rule of :func:`choose_cluster` then runs in arrival order over the confirmed pairs. Posting ids must
    be unique (a first load); otherwise this falls back to the incremental path. ``stats``, when given,
    receives pair counts and seconds per stage.
    """
    import time

    st = stats if stats is not None else {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        st[name] = st.get(name, 0.0) + now - clock
        clock = now

    ids = [f.posting_id for f in feats]
    if len(set(ids)) != len(ids):
        scratch = MemoryStore()
        return [choose_cluster(scratch, f) for f in feats]
    buckets, columns = _buckets(feats), _Columns(feats)
    lap("index_s")
    scored: dict[int, dict[int, float]] = defaultdict(dict)
    for lo in range(0, len(feats), chunk):
        pairs = buckets.pairs(lo, lo + chunk)
        st["candidate_pairs"] = st.get("candidate_pairs", 0) + len(pairs)
        lap("candidates_s")
        ii, jj = screen_pairs(feats, pairs >> 32, pairs & 0xFFFFFFFF, workers, columns)
        del pairs
        st["screened_pairs"] = st.get("screened_pairs", 0) + len(ii)
        lap("screen_s")
        for i, j in zip(ii.tolist(), jj.tolist(), strict=True):
            s = same_job(feats[i], feats[j])
            if s > 0.0:
                scored[i][j] = s
        lap("confirm_s")
    assigned: list[str] = []
    members: dict[str, list[int]] = {}
    born: dict[str, int] = {}
    for i, f in enumerate(feats):
        chosen: str | None = None
        mine = scored.get(i)
        if mine:
            matched: dict[str, float] = {}
            for j, s in mine.items():
                c = assigned[j]
                matched[c] = max(s, matched.get(c, 0.0))
            accepted: list[tuple[float, float, str]] = []
            for cluster, best in matched.items():
                ms = members[cluster]
                agree = sum((mine[m] if m in mine else same_job(f, feats[m])) > 0.0 for m in ms) / len(ms)
                if agree >= 0.5:
                    accepted.append((agree, best, cluster))
            if accepted:
                top = max((a, b) for a, b, _ in accepted)
                chosen = min((c for a, b, c in accepted if (a, b) == top), key=born.__getitem__)
        if chosen is None:
            chosen = "c" + f.posting_id[1:]
            if chosen in members:
                chosen = "c_" + hashlib.sha1(f"{f.posting_id}\x1f".encode()).hexdigest()[:16]
        members.setdefault(chosen, []).append(i)
        born.setdefault(chosen, len(born))
        assigned.append(chosen)
    lap("assign_s")
    return assigned


def load_store(feats: Sequence[Features], clusters: Sequence[str]) -> MemoryStore:
    """A :class:`MemoryStore` holding a bulk result, to go on matching new postings incrementally."""
    store = MemoryStore()
    for f, c in zip(feats, clusters, strict=True):
        store.put(f, c)
    return store


# --- the skeleton's rule, kept for comparison (bench/dedupe) -------------------------------------


def exact_key(posting: JobPosting) -> str | None:
    """The walking skeleton's exact key: employer key (or phone) | title key | place code."""
    tkey = title_key(posting.title)
    ekey = posting.employer.name_key or (posting.contact.phone or None)
    place = posting.location.code
    if not (tkey and ekey and place):
        return None
    return f"{ekey}|{tkey}|{place}"
