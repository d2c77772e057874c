"""Text normalization and script counting shared by the understanding rules."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# NFKC leaves Thai digits alone; customers on Thai keyboards sometimes type them.
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
# Wave dashes and friends all mean "to" in ranges ("15〜20分"); NFKC maps only some of them.
_DASHES = str.maketrans({"〜": "~", "～": "~", "–": "-", "—": "-", "―": "-"})
_SPACES = re.compile(r"\s+")
_LATIN_WORD = re.compile(r"[a-zà-ỹđ']+")


def normalize(text: str) -> str:
    """NFKC (full-width digits and letters, half-width kana), case-folded, single-spaced."""
    t = unicodedata.normalize("NFKC", text).translate(_THAI_DIGITS).translate(_DASHES)
    # casefold() would turn German ß into ss; lower() is enough for our seven languages.
    # NFKC splits Thai SARA AM (ำ) into NIKHAHIT + SARA AA; put it back so cues match as typed.
    t = t.lower().replace("’", "'").replace("‘", "'").replace("\u0e4d\u0e32", "\u0e33")
    return _SPACES.sub(" ", t).strip()


def strip_latin_marks(text: str) -> str:
    """Remove diacritics from Latin letters only ("hủy lịch" -> "huy lich").

    Vietnamese customers often type without tone marks, so the rules match both forms. Marks on
    other scripts (Thai vowels, Japanese dakuten) carry meaning and are kept.
    """
    out: list[str] = []
    prev_latin = False
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch):
            if prev_latin:
                continue
        else:
            prev_latin = ch.isascii() and ch.isalpha()
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out)).replace("đ", "d")


@dataclass(frozen=True, slots=True)
class Scripts:
    han: int
    kana: int
    hangul: int
    thai: int
    latin_words: int
    vi_letters: int  # letters only Vietnamese uses among our languages (ơ, ư, ă, đ, ạ, ...)


_VI_ONLY = frozenset("ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ")
_VI_SHARED = frozenset("àáãèéìíòóõùúý")


def count_scripts(t: str) -> Scripts:
    han = kana = hangul = thai = vi = 0
    for ch in t:
        o = ord(ch)
        if 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF:
            han += 1
        elif 0x3040 <= o <= 0x30FF and ch not in "ー・":
            kana += 1
        elif 0xAC00 <= o <= 0xD7AF or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F:
            hangul += 1
        elif 0x0E00 <= o <= 0x0E7F:
            thai += 1
        elif ch in _VI_ONLY:
            vi += 2
        elif ch in _VI_SHARED:
            vi += 1
    latin = len(_LATIN_WORD.findall(t))
    return Scripts(han, kana, hangul, thai, latin, vi)
