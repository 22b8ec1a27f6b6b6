"""Chinese text for search and recommendations: jieba segmentation, HTML to text, display of segmented text."""

from __future__ import annotations

import html
import logging
import re
import threading
from typing import Any

import nh3

# Terms of Party life that jieba's general dictionary splits apart (e.g. 二十大 → 二十 / 大).
PARTY_TERMS = [
    "二十大",
    "十九大",
    "十八大",
    "二十届",
    "党章",
    "党纪",
    "党史",
    "党规",
    "党性",
    "党课",
    "党费",
    "党务",
    "党建",
    "党支部",
    "党小组",
    "党总支",
    "党委",
    "三会一课",
    "主题党日",
    "组织生活会",
    "民主评议",
    "两学一做",
    "不忘初心",
    "牢记使命",
    "四个意识",
    "四个自信",
    "两个维护",
    "两个确立",
    "初心使命",
    "全面从严治党",
    "习近平新时代中国特色社会主义思想",
    "新时代",
    "中国式现代化",
    "廉洁自律",
    "党风廉政",
    "学习强国",
    "入党誓词",
    "发展党员",
    "预备党员",
    "支部书记",
    "党务工作者",
    "职业道德",
    "政治素养",
    "业务技能",
    "安全生产",
    "国有企业",
    "国企改革",
    "群众路线",
    "批评与自我批评",
    "中央八项规定",
]

# Function words that carry no topic; removed before TF-IDF (search keeps every token).
STOP_WORDS = frozenset(
    [
        "的",
        "了",
        "和",
        "是",
        "在",
        "与",
        "及",
        "对",
        "为",
        "等",
        "中",
        "把",
        "被",
        "就",
        "也",
        "都",
        "而",
        "并",
        "或",
        "其",
        "之",
        "以",
        "于",
        "从",
        "向",
        "由",
        "这",
        "那",
        "有",
        "个",
        "我们",
        "你们",
        "他们",
        "一个",
        "一些",
        "进行",
        "通过",
        "以及",
    ]
)

_WORD = re.compile(r"\w", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
_lock = threading.Lock()
_jieba: Any = None


def _seg() -> Any:
    """jieba, loaded once per process with the Party terms added."""
    global _jieba
    if _jieba is None:
        with _lock:
            if _jieba is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                for term in PARTY_TERMS:
                    jieba.add_word(term, freq=200000)
                jieba.initialize()
                _jieba = jieba
    return _jieba


def clean_text(text: str) -> str:
    """Text without NUL (PostgreSQL refuses it) and other control characters except newlines and tabs."""
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", text or "")


def _keep(token: str) -> bool:
    return bool(token.strip()) and bool(_WORD.search(token)) and token != "_"


def tokens(text: str, *, for_index: bool = False, lower: bool = True, punctuation: bool = False) -> list[str]:
    """Tokens (lower-cased unless told), punctuation and spaces dropped. ``for_index`` adds the sub-words of
    long words (search mode), so that a query for 人民 finds 中华人民共和国."""
    text = clean_text(text)
    if not text.strip():
        return []
    jieba = _seg()
    cut = jieba.cut_for_search(text) if for_index else jieba.cut(text)
    keep = (lambda t: bool(t.strip())) if punctuation else _keep
    return [t.lower() if lower else t for t in cut if keep(t)]


def segmented(text: str) -> str:
    """Precise-mode tokens joined by spaces, case kept: what the full-text index stores and highlights
    (both FTS5's unicode61 tokenizer and PostgreSQL's 'simple' configuration fold case themselves). Punctuation
    stays, for display: both tokenizers skip it."""
    return " ".join(tokens(text, lower=False, punctuation=True))


def extra_subwords(text: str) -> str:
    """The search-mode sub-words that precise mode does not give, for recall."""
    precise = set(tokens(text))
    return " ".join(dict.fromkeys(t for t in tokens(text, for_index=True) if t not in precise))


def topic_terms(text: str) -> list[str]:
    """Tokens for TF-IDF: no function words, no single characters (they are nearly all function words)."""
    return [t for t in tokens(text) if len(t) > 1 and t not in STOP_WORDS]


def html_to_text(value: str) -> str:
    """Plain text of sanitised HTML, paragraphs on their own lines."""
    value = re.sub(r"(?i)<\s*(br|/p|/div|/li|/h[1-6])\s*/?>", "\n", value or "")
    text = html.unescape(nh3.clean(value, tags=set()))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def desegment(text: str) -> str:
    """Undo the spaces segmentation put between tokens, keeping those between two Latin words or numbers
    (highlight markers are looked through)."""
    out = []
    n = len(text)
    for i, ch in enumerate(text):
        if ch == " ":
            j = i - 1
            while j >= 0 and text[j] in MARKS:
                j -= 1
            k = i + 1
            while k < n and text[k] in MARKS:
                k += 1
            before = text[j] if j >= 0 else ""
            after = text[k] if k < n else ""
            if not (before.isascii() and before.isalnum() and after.isascii() and after.isalnum()):
                continue
        out.append(ch)
    return "".join(out)


MARK_START, MARK_END = "\ue000", "\ue001"
MARKS = MARK_START + MARK_END


def marked_html(text: str) -> str:
    """Segmented text with private-use highlight markers → escaped HTML with <mark> around the hits."""
    escaped = html.escape(desegment(text))
    return escaped.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")


def highlight(text: str, words: list[str]) -> str:
    """Escaped HTML of ``text`` with every occurrence of the words (any case) in <mark>."""
    escaped = html.escape(text)
    words = sorted({html.escape(w) for w in words if w}, key=len, reverse=True)
    if not words:
        return escaped
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    return pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", escaped)
