"""Person search helpers: pinyin and pinyin initials of Chinese names (张三 → zhangsan, zs)."""

from __future__ import annotations

from pypinyin import Style, lazy_pinyin


def pinyin_forms(name: str) -> tuple[str, str]:
    """Full pinyin without tones and the initials, both lower case, for 'zhangsan' / 'zs' search."""
    if not name:
        return "", ""
    syllables = lazy_pinyin(name, style=Style.NORMAL, errors="default")
    full = "".join(syllables).lower().replace(" ", "")
    initials = "".join(s[0] for s in syllables if s).lower()
    return full[:128], initials[:32]
