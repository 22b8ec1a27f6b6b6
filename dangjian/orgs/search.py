"""Person search helpers: pinyin and pinyin initials of Chinese names (张三 → zhangsan, zs)."""

from __future__ import annotations

from pypinyin import Style, lazy_pinyin

# Surnames read differently from the same character in ordinary words (曾 zēng not céng, 单 shàn not dān …).
SURNAME_READINGS = {
    "欧阳": ["ou", "yang"],
    "尉迟": ["yu", "chi"],
    "万俟": ["mo", "qi"],
    "长孙": ["zhang", "sun"],
    "澹台": ["tan", "tai"],
    "曾": ["zeng"],
    "单": ["shan"],
    "解": ["xie"],
    "仇": ["qiu"],
    "朴": ["piao"],
    "查": ["zha"],
    "翟": ["zhai"],
    "区": ["ou"],
    "盖": ["ge"],
    "乐": ["yue"],
    "尉": ["yu"],
    "繁": ["po"],
    "秘": ["bi"],
    "员": ["yun"],
    "种": ["chong"],
    "召": ["shao"],
    "缪": ["miao"],
    "覃": ["qin"],
    "冼": ["xian"],
    "藏": ["zang"],
    "相": ["xiang"],
    "缴": ["jiao"],
    "眭": ["sui"],
    "句": ["gou"],
    "重": ["chong"],
    "华": ["hua"],
    "任": ["ren"],
    "沈": ["shen"],
    "薄": ["bo"],
    "宿": ["su"],
    "过": ["guo"],
    "蕃": ["pi"],
}


def pinyin_forms(name: str) -> tuple[str, str]:
    """Full pinyin without tones and the initials, both lower case, for 'zhangsan' / 'zs' search.
    The surname is read as a surname (曾 → zeng)."""
    if not name:
        return "", ""
    for surname in (name[:2], name[:1]):
        if surname in SURNAME_READINGS and len(surname) < len(name):
            syllables = SURNAME_READINGS[surname] + lazy_pinyin(
                name[len(surname) :], style=Style.NORMAL, errors="default"
            )
            break
    else:
        syllables = lazy_pinyin(name, style=Style.NORMAL, errors="default")
    full = "".join(syllables).lower().replace(" ", "")
    initials = "".join(s[0] for s in syllables if s).lower()
    return full[:128], initials[:32]
