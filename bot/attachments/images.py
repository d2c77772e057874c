"""Images as agents see them: decoded and re-encoded by Pillow, which leaves EXIF (GPS included),
XMP and comments behind, and a small JPEG thumbnail. CPU work: callers run it in a thread.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

THUMB_SIZE = (320, 320)
# Pillow's guard against decompression bombs, made an error rather than a warning: a 10 MB PNG can
# claim a gigapixel canvas.
MAX_PIXELS = 40_000_000
# One decode at a time in the process: a 40 Mpx canvas takes a few hundred MB while it is worked
# on, and a dozen at once (one address, a dozen visitors) took 2.5 GB that the allocator kept.
_DECODING = threading.Lock()


class BadImage(ValueError):
    """Not decodable as the image its signature claims (or a decompression bomb)."""


@dataclass(frozen=True, slots=True)
class Cleaned:
    data: bytes
    mime: str
    thumb: bytes
    width: int
    height: int


_SAVE_AS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP", "image/gif": "GIF"}


def clean(data: bytes, mime: str) -> Cleaned:
    """`data` re-encoded without metadata (turned upright first: the EXIF orientation goes too)."""
    fmt = _SAVE_AS.get(mime)
    if fmt is None:
        raise BadImage("not an image we re-encode")
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    with _DECODING:
        return _clean(data, mime, fmt)


def _clean(data: bytes, mime: str, fmt: str) -> Cleaned:
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.width * im.height > MAX_PIXELS:
                raise BadImage("image too large")
            im.load()
            upright = ImageOps.exif_transpose(im)
            full = _encode(upright, fmt)
            # Scaled down first, so no second full-size copy is made for the thumbnail.
            fits = upright.width <= THUMB_SIZE[0] and upright.height <= THUMB_SIZE[1]
            thumb = (upright if fits else ImageOps.contain(upright, THUMB_SIZE)).convert("RGB")
            out = io.BytesIO()
            thumb.save(out, "JPEG", quality=80)
            return Cleaned(full, mime, out.getvalue(), upright.width, upright.height)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError) as exc:
        raise BadImage(type(exc).__name__) from exc


def _encode(im: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        im.convert("RGB").save(out, "JPEG", quality=90)
    elif fmt == "GIF":
        im.save(out, "GIF")
    else:
        # No `exif=` and no `pnginfo=`: Pillow writes neither unless asked.
        im.save(out, fmt)
    return out.getvalue()
