"""Booking references typed in a reply: "bk 1001", "ＢＫ－１００１", "my booking number is BK-1001",
"demo treatment" -> the canonical upper-case, hyphenated candidate ("BK-1001", "DEMO-TREATMENT")."""

from __future__ import annotations

import re
import unicodedata

from bot.understanding.text import strip_latin_marks

# Dashes customers type between the parts: ASCII, full-width (NFKC makes it ASCII), the long vowel
# mark of Japanese keyboards, Unicode hyphens and minus signs.
_DASHES = str.maketrans({"ー": "-", "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "−": "-", "_": "-"})
_TOKEN = re.compile(
    r"(?<![a-z0-9])[a-z0-9]+(?:\s*-\s*[a-z0-9]+)+(?![a-z0-9])|(?<![a-z0-9])[a-z0-9]+(?![a-z0-9])"
)
_LETTERS_DIGITS = re.compile(r"^([a-z]{1,6})(\d{2,8})$")
# Words that are never part of a reference, in the languages typed in Latin letters.
_STOP = frozenset(
    """my the is it its it's a an number no booking reservation reference ref code id here this that i im i'm
    of for and please pls thanks thank you ok yes sorry is was mine our your me booking's dont don't know not
    sure what ma dat lich cho la cua toi em so hen chi anh ban minh xin day nay ha a
    """.split()
)
_WORD = re.compile(r"[a-z0-9]+")


def candidates(text: str) -> list[str]:
    """Canonical reference candidates in `text`, most likely first."""
    t = unicodedata.normalize("NFKC", text).translate(_DASHES).lower()
    t = strip_latin_marks(t)
    ranked: list[tuple[int, int, str]] = []
    tokens = list(_TOKEN.finditer(t))
    for i, m in enumerate(tokens):
        raw = m[0]
        parts = [p for p in re.split(r"\s*-\s*", raw) if p]
        if len(parts) > 1:
            if all(p in _STOP for p in parts):
                continue
            ranked.append((0, m.start(), "-".join(parts).upper()))
            continue
        word = parts[0]
        nxt = tokens[i + 1][0] if i + 1 < len(tokens) else ""
        gap = t[m.end() : tokens[i + 1].start()] if i + 1 < len(tokens) else ""
        if _split_pair(word, nxt, gap):
            ranked.append((0, m.start(), f"{word}-{nxt}".upper()))  # "h3 en01" for H3-EN01
            continue
        if i > 0 and _split_pair(tokens[i - 1][0], word, t[tokens[i - 1].end() : m.start()]):
            continue  # the second half of a pair taken above
        if word.isalpha() and nxt.isdigit() and len(word) <= 6 and word not in _STOP and gap.strip() == "":
            ranked.append((1, m.start(), f"{word}-{nxt}".upper()))  # "bk 1001"
        elif m2 := _LETTERS_DIGITS.match(word):
            ranked.append((1, m.start(), f"{m2[1]}-{m2[2]}".upper()))  # "bk1001"
        elif any(ch.isdigit() for ch in word) and any(ch.isalpha() for ch in word):
            ranked.append((2, m.start(), word.upper()))
        elif word.isdigit() and len(word) >= 3 and not _after_letters(tokens, i):
            ranked.append((3, m.start(), word))
    words = _WORD.findall(t)
    if not ranked and 2 <= len(words) <= 3 and not _other_script(t):
        # The whole reply is the reference typed with spaces ("demo treatment").
        kept = [w for w in words if w not in _STOP]
        if len(kept) >= 2:
            ranked.append((4, 0, "-".join(kept).upper()))
    return list(dict.fromkeys(r[2] for r in sorted(ranked)))


def _split_pair(word: str, nxt: str, gap: str) -> bool:
    """Two parts of one reference typed with a space instead of the hyphen: both short, both with a
    digit, at least one with letters ("h3 en01", "a12 0034"), nothing but spaces between."""
    if gap.strip() or "-" in word or "-" in nxt or not word or not nxt:
        return False
    if word in _STOP or nxt in _STOP or len(word) > 8 or len(nxt) > 8:
        return False
    has_digit = any(c.isdigit() for c in word) and any(c.isdigit() for c in nxt)
    has_letter = any(c.isalpha() for c in word + nxt)
    return has_digit and has_letter and not (word.isdigit() and nxt.isdigit())


def _after_letters(tokens: list[re.Match[str]], i: int) -> bool:
    return (
        i > 0 and tokens[i - 1][0].isalpha() and len(tokens[i - 1][0]) <= 6 and tokens[i - 1][0] not in _STOP
    )


def _other_script(t: str) -> bool:
    return any(ord(ch) > 0x2E80 or 0x0E00 <= ord(ch) <= 0x0E7F or 0xAC00 <= ord(ch) <= 0xD7AF for ch in t)


def compact(reference: str) -> str:
    """A reference without its hyphens and case, for comparing what was typed with what is stored."""
    return re.sub(r"[^A-Z0-9]", "", reference.upper())
