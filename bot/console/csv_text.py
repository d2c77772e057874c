"""CSV bytes to text as Japanese offices save them, refusing rather than guessing wrong.

Excel's "CSV UTF-8" is UTF-8 with a byte-order mark; its plain "CSV" on a Japanese Windows machine is
cp932 (Microsoft's Shift_JIS, with the NEC and IBM extensions such as 髙 and ①). Automatic detection
tries a strict UTF-8 decode first (cp932 Japanese text is practically never valid UTF-8), then a strict
cp932 one. A strict cp932 decode alone is not enough: short Chinese (GBK, Big5), Korean, Thai or Latin-1
fields often decode "cleanly" into half-width katakana, private-use characters or a kanji wedged inside a
Latin word. Text showing those signs is refused in automatic mode; a user whose file really has
half-width katakana chooses Shift_JIS explicitly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.console.i18n import N_

ENCODINGS = {"auto": N_("Automatic"), "utf-8": "UTF-8", "cp932": "Shift_JIS (cp932)"}
ALIASES = {
    "utf8": "utf-8",
    "utf-8-sig": "utf-8",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "ms932": "cp932",
    "windows-31j": "cp932",
}
BOM = b"\xef\xbb\xbf"
SAVE_AS_UTF8 = N_('save it from Excel as "CSV UTF-8 (comma delimited)"')

# Never in a spreadsheet's text: control characters, and the private-use code points cp932 gives to its
# user-defined area and to the stray single bytes 0xA0 and 0xFD-0xFF.
_NEVER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ue000-\uf8ff]")
# What other encodings read as cp932 look like: half-width katakana (GBK, Big5, EUC-KR and cp874 lead
# bytes fall in 0xA1-0xDF) and non-ASCII characters between Latin letters ("Fran輟ise" for "Françoise").
_SUSPECT = re.compile(r"[\uff61-\uff9f]|(?<=[A-Za-z])[^\x00-\x7f]+(?=[A-Za-z])")


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str | None
    encoding: str  # the key in ENCODINGS that was used (or tried, when text is None)
    line: int = 0  # where the problem is, when text is None
    reason: str = ""

    @property
    def label(self) -> str:
        return ENCODINGS[self.encoding]


def choice(value: str) -> str | None:
    """The ENCODINGS key for what a user typed or selected ("Shift_JIS", "utf8", ...), None if unknown."""
    key = value.strip().lower() or "auto"
    key = ALIASES.get(key, key)
    return key if key in ENCODINGS else None


def decode(data: bytes, encoding: str = "auto") -> Decoded:
    if encoding == "utf-8":
        return _utf8(data)
    if encoding == "cp932":
        return _cp932(data, strict_only=True)
    if encoding != "auto":
        raise ValueError(f"unknown encoding {encoding!r}")
    utf8 = _utf8(data)
    if utf8.text is not None:
        return utf8
    if data.startswith(BOM):  # a BOM says UTF-8: bad bytes after it are a damaged file, not Shift_JIS
        reason = N_(
            "the file starts as UTF-8 but is not UTF-8 text further on: %(fix)s again", fix=SAVE_AS_UTF8
        )
        return Decoded(None, "utf-8", utf8.line, reason)
    sjis = _cp932(data, strict_only=False)
    if sjis.text is not None:
        return sjis
    return Decoded(None, "auto", sjis.line, sjis.reason)


def _utf8(data: bytes) -> Decoded:
    try:
        return Decoded(data.decode("utf-8-sig"), "utf-8")
    except UnicodeDecodeError as exc:
        return Decoded(
            None,
            "utf-8",
            _line_of(data, exc.start),
            N_("the file is not UTF-8 text: %(fix)s, or choose Shift_JIS (cp932)", fix=SAVE_AS_UTF8),
        )


def _cp932(data: bytes, *, strict_only: bool) -> Decoded:
    if strict_only and data.startswith(BOM):
        return Decoded(None, "cp932", 1, N_("the file starts with a UTF-8 mark: choose UTF-8 or Automatic"))
    try:
        text = data.decode("cp932")
    except UnicodeDecodeError as exc:
        return Decoded(None, "cp932", _line_of(data, exc.start), _refusal(strict_only))
    bad = _NEVER.search(text) or (None if strict_only else _SUSPECT.search(text))
    if bad is not None:
        return Decoded(None, "cp932", text.count("\n", 0, bad.start()) + 1, _refusal(strict_only))
    return Decoded(text, "cp932")


def _refusal(chosen: bool) -> str:
    if chosen:
        return N_("the file is not Shift_JIS (cp932) text: %(fix)s, or choose UTF-8", fix=SAVE_AS_UTF8)
    return N_(
        "the file is neither UTF-8 nor Shift_JIS (cp932) text that reads as ordinary Japanese "
        "(it may be in another encoding, such as GBK, Big5 or Latin-1): %(fix)s; "
        "if it really is Shift_JIS (for example with half-width katakana), choose Shift_JIS (cp932)",
        fix=SAVE_AS_UTF8,
    )


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1
