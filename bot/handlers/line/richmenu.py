"""The LINE rich menu of each language: its buttons, its image (Pillow) and its content hash.

Pure apart from reading fonts: `build(locale)` gives the menu's request body (areas, chat bar text),
its PNG and a hash of everything that makes it up. The hash is in the menu's name, so a sync that
finds a menu of that name knows it is current and changes nothing (bot/handlers/line/menus.py).

Every tap is a postback "o=<option>&g=1": the webhook reads it as ChoiceIn(option, anywhere=True), which
enters the same flow as the menu's button of that id from whatever state the conversation is in.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import subprocess
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.dialogs import registry
from bot.dialogs.menu import HUMAN, LANGUAGE, MENU, human_option
from bot.i18n import Msg, msg, translator

if TYPE_CHECKING:  # Pillow is loaded only to draw (the webhook links menus, it never draws them)
    from PIL import ImageDraw, ImageFont

WIDTH, HEIGHT = 2500, 1686
COLUMNS, ROWS = 3, 2
# Bump when the drawing changes in a way the labels do not show (colours, layout).
DESIGN = 1
NAME_PREFIX = "counselbot"
MAX_CHAT_BAR = 14
MAX_LABEL = 20

BACKGROUND = (255, 255, 255)
CELL = (236, 244, 250)
ACCENT = (14, 99, 156)
HUMAN_CELL = (14, 99, 156)
TEXT = (22, 40, 56)

CHAT_BAR = msg("Menu")

# A font per language, found through fontconfig by language: CJK glyphs differ between ja, ko and the
# two Chinese scripts, so each gets its own face (Noto Sans CJK from fonts-noto-cjk; Thai from
# fonts-thai-tlwg).
FONT_PATTERNS = {
    "ja": "Noto Sans CJK JP:bold",
    "zh_Hans": "Noto Sans CJK SC:bold",
    "zh_Hant": "Noto Sans CJK TC:bold",
    "ko": "Noto Sans CJK KR:bold",
    "th": ":lang=th:bold",
    "vi": ":lang=vi:bold",
    "en": ":lang=en:bold",
}
FONT_LANG = {
    "ja": "ja",
    "zh_Hans": "zh-cn",
    "zh_Hant": "zh-tw",
    "ko": "ko",
    "th": "th",
    "vi": "vi",
    "en": "en",
}


class FontMissing(RuntimeError):
    """No installed font covers the language (install fonts-noto-cjk and fonts-thai-tlwg)."""


@dataclass(frozen=True, slots=True)
class Button:
    option: str
    label: Msg
    icon: str


def buttons() -> tuple[Button, ...]:
    """The six cells, left to right and top to bottom: the menu, three flows, language, a person."""
    flows = ("cancellation", "booking_change", "late_arrival")
    return (
        Button(MENU, msg("Menu"), "≡"),
        *(Button(name, _menu_label(name), icon) for name, icon in zip(flows, "×⇄◷", strict=True)),
        Button(LANGUAGE, _menu_label(LANGUAGE), "Aあ"),
        Button(HUMAN, human_option().label, "☺"),
    )


def _menu_label(name: str) -> Msg:
    label = getattr(registry.get(name), "menu_label", None)
    assert isinstance(label, Msg), name
    return label


@dataclass(frozen=True, slots=True)
class Built:
    locale: str
    digest: str
    body: dict[str, Any]
    png: bytes

    @property
    def name(self) -> str:
        return menu_name(self.locale, self.digest)

    @property
    def alias(self) -> str:
        return alias_id(self.locale)


def menu_name(locale: str, digest: str) -> str:
    return f"{NAME_PREFIX} {locale} {digest}"


def alias_id(locale: str) -> str:
    # [A-Za-z0-9_-], at most 32 characters.
    return f"{NAME_PREFIX}-{locale.lower().replace('_', '-')}"


def postback_data(option: str) -> str:
    return f"o={option}&g=1"


def spec(locale: str) -> dict[str, Any]:
    """Everything the menu is made of, translated: what the hash covers."""
    tr = translator(locale)
    return {
        "design": DESIGN,
        "size": [WIDTH, HEIGHT],
        "chat_bar": _clip(tr.gettext(CHAT_BAR), MAX_CHAT_BAR),
        "buttons": [[b.option, tr.gettext(b.label), b.icon] for b in buttons()],
    }


def build(locale: str) -> Built:
    s = spec(locale)
    digest = hashlib.sha256(json.dumps(s, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
    body = {
        "size": {"width": WIDTH, "height": HEIGHT},
        "selected": True,
        "name": menu_name(locale, digest),
        "chatBarText": s["chat_bar"],
        "areas": [_area(i, option, label) for i, (option, label, _) in enumerate(s["buttons"])],
    }
    return Built(locale, digest, body, draw(locale, s))


def _area(index: int, option: str, label: str) -> dict[str, Any]:
    x, y, w, h = _cell(index)
    return {
        "bounds": {"x": x, "y": y, "width": w, "height": h},
        "action": {
            "type": "postback",
            "data": postback_data(option),
            # Shown in the chat as the customer's own message, as a quick-reply button's is.
            "displayText": label[:300],
            "label": _clip(label, MAX_LABEL),
        },
    }


def _cell(index: int) -> tuple[int, int, int, int]:
    col, row = index % COLUMNS, index // COLUMNS
    x0, x1 = WIDTH * col // COLUMNS, WIDTH * (col + 1) // COLUMNS
    y0, y1 = HEIGHT * row // ROWS, HEIGHT * (row + 1) // ROWS
    return x0, y0, x1 - x0, y1 - y0


def draw(locale: str, s: dict[str, Any]) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    pen = ImageDraw.Draw(image)
    for index, (option, label, icon) in enumerate(s["buttons"]):
        x, y, w, h = _cell(index)
        person = option == HUMAN
        pen.rounded_rectangle(
            (x + 12, y + 12, x + w - 12, y + h - 12), radius=48, fill=HUMAN_CELL if person else CELL
        )
        colour = BACKGROUND if person else ACCENT
        icon_font = _font(_symbol_font() if icon.isascii() or len(icon) == 1 else font_file("ja"), 220)
        pen.text((x + w // 2, y + h * 0.36), icon, font=icon_font, fill=colour, anchor="mm")
        _label(pen, label, (x + 40, y + int(h * 0.58), w - 80, int(h * 0.36)), locale, person)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _label(
    pen: ImageDraw.ImageDraw, text: str, box: tuple[int, int, int, int], locale: str, person: bool
) -> None:
    """The label, as large as fits in `box` on at most two lines (wrapped at a space if there is one)."""
    x, y, w, h = box
    fill = BACKGROUND if person else TEXT
    spaced = " " in text.strip()
    for size in range(110, 40, -6):
        font = _font(font_file(locale), size)
        lines = _wrap(pen, text, font, w)
        # Text without spaces (Thai, Japanese, Chinese) rather shrinks than breaks mid-word.
        if len(lines) == 1 or (len(lines) == 2 and (spaced or size < 70)):
            break
    spacing = int(size * 0.25)
    block = "\n".join(lines[:2])
    pen.multiline_text(
        (x + w // 2, y + h // 2), block, font=font, fill=fill, anchor="mm", align="center", spacing=spacing
    )


def _wrap(pen: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    if pen.textlength(text, font=font) <= width:
        return [text]
    words = text.split(" ")
    if len(words) > 1:
        lines, line = [], ""
        for word in words:
            candidate = f"{line} {word}".strip()
            if line and pen.textlength(candidate, font=font) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
        if all(pen.textlength(li, font=font) <= width for li in lines):
            return lines
    # No spaces (Japanese, Chinese, Thai): cut by characters.
    lines, line = [], ""
    for cluster in _clusters(text):
        if line and pen.textlength(line + cluster, font=font) > width:
            lines.append(line)
            line = cluster
        else:
            line += cluster
    lines.append(line)
    return lines


def _clusters(text: str) -> list[str]:
    """Characters with their combining marks (Thai vowels and tone marks stay on their consonant)."""
    out: list[str] = []
    for ch in text:
        if out and unicodedata.category(ch) in ("Mn", "Mc"):
            out[-1] += ch
        else:
            out.append(ch)
    return out


@functools.cache
def _font(path_index: tuple[str, int], size: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    path, index = path_index
    return ImageFont.truetype(path, size, index=index, layout_engine=ImageFont.Layout.RAQM)


def font_file(locale: str) -> tuple[str, int]:
    return _match(FONT_PATTERNS[locale], FONT_LANG[locale])


def _symbol_font() -> tuple[str, int]:
    return _match("DejaVu Sans:bold", "en")


@functools.cache
def _match(pattern: str, lang: str) -> tuple[str, int]:
    """fontconfig's best file for `pattern`, checked to cover `lang` (fc-match falls back silently)."""
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{file}|%{index}", pattern], capture_output=True, text=True, check=True
        ).stdout
        covering = subprocess.run(
            ["fc-list", f":lang={lang}", "file"], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise FontMissing(f"fontconfig is not available ({exc})") from exc
    path, _, index = found.partition("|")
    files = {line.rstrip(": ").strip() for line in covering.splitlines()}
    if not path or path not in files:
        raise FontMissing(f"no installed font covers {lang!r} (install fonts-noto-cjk and fonts-thai-tlwg)")
    return path, int(index or 0)


def _clip(text: str, limit: int) -> str:
    text = text.strip() or "…"
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
