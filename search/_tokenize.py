"""Chinese word segmentation shared by indexing and querying (rjieba, HMM on).

Documents are cut in jieba's search mode, so a compound such as 保洁员 is
indexed as 保洁 and 保洁员 and a search for either finds it. Queries are cut in
precise mode; each query word becomes a group of alternatives: the word itself
and the search-mode sub-words it contains (外卖配送员 → 外卖配送员 | 外卖 | 配送).

Both sides go through :func:`normalise` (NFKC, lower case, punctuation to
spaces), so what reaches the index is plain terms joined by single spaces: the
engine only splits on whitespace.
"""

from __future__ import annotations

import re
import threading
import unicodedata

import rjieba

#: Gig-work words jieba's dictionary lacks or that its HMM splits wrongly
#: (招日结普工 → 招日 / 结普工 without them).
DOMAIN_WORDS: tuple[str, ...] = (
    "外卖配送员", "外卖骑手", "配送员", "骑手", "快递员", "分拣员", "装卸工", "搬运工",
    "保洁员", "家政", "育儿嫂", "月嫂", "保姆", "护工", "钟点工", "小时工", "临时工", "零工",
    "普工", "操作工", "叉车工", "服务员", "传菜员", "洗碗工", "帮厨", "促销员", "理货员",
    "电工", "焊工", "木工", "瓦工", "油漆工", "钢筋工", "水电工", "保安", "网约车", "跑腿",
    "日结", "周结", "月结", "完工结", "当天结", "包吃住", "包吃", "包住", "五险一金", "面议",
    "急招", "兼职", "全职",
)

#: Function words that would otherwise make a query demand them in every hit.
STOP_WORDS: frozenset[str] = frozenset({"的", "了", "和", "与", "及", "或", "在", "是", "等"})

#: Longer tokens are dropped: they are noise (hashes, URLs) and bloat the term dictionary.
MAX_TOKEN_CHARS = 40

_NON_WORD = re.compile(r"[\W_]+")
_lock = threading.Lock()
_jieba: rjieba.Jieba | None = None


def _segmenter() -> rjieba.Jieba:
    # A private instance: adding domain words must not change how other
    # modules using rjieba's global dictionary segment text.
    global _jieba
    if _jieba is None:
        with _lock:
            if _jieba is None:
                jieba = rjieba.Jieba()
                for word in DOMAIN_WORDS:
                    jieba.add_word(word, None, None)
                _jieba = jieba
    return _jieba


def normalise(text: str) -> str:
    """Full-width forms folded (NFKC), lower-cased, and every run of characters
    that are not letters or digits turned into one space (so C++ is "c").

    Punctuation already ends a word for jieba, so removing it before cutting
    changes no segmentation, and leaves only words and spaces to split on.
    """
    return _NON_WORD.sub(" ", unicodedata.normalize("NFKC", text).lower())


def _split(tokens: list[str]) -> list[str]:
    # Joining and re-splitting drops the whitespace tokens jieba emits, in C.
    return [t for t in " ".join(tokens).split() if len(t) <= MAX_TOKEN_CHARS]


def index_tokens(text: str | None) -> list[str]:
    """Search-mode tokens of ``text`` for indexing (sub-words included)."""
    if not text:
        return []
    return _split(_segmenter().cut_for_search(normalise(text), True))


def index_text(*texts: str | None) -> str:
    """Tokens of all ``texts`` joined by spaces: the value of a whitespace-tokenised field."""
    # One cut over the joined texts: the separating space ends a word anyway.
    return " ".join(index_tokens(" ".join(t for t in texts if t)))


def query_groups(q: str) -> list[list[tuple[str, float]]]:
    """Plain user text → one group per query word: ``[(term, weight), ...]``.

    The word itself has weight 1; sub-words found inside it weigh 0.5, so an
    exact hit ranks above a partial one. Any alternative satisfies the group.
    Nothing in ``q`` is syntax: quotes, colons, AND, brackets are just text.
    """
    jieba = _segmenter()
    groups: list[list[tuple[str, float]]] = []
    seen: set[str] = set()
    for word in _split(jieba.cut(normalise(q), True)):
        if word in STOP_WORDS or word in seen:
            continue
        seen.add(word)
        group = [(word, 1.0)]
        for sub in _split(jieba.cut_for_search(word, True)):
            if len(sub) >= 2 and all(sub != t for t, _ in group):
                group.append((sub, 0.5))
        groups.append(group)
    return groups
