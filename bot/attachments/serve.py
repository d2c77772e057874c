"""One attachment's bytes as an HTTP response, the same for agents and customers: never cached,
never sniffed by the browser, sandboxed when opened on its own, and anything that is not an image
downloaded (`Content-Disposition: attachment`) rather than rendered in our origin."""

from __future__ import annotations

import re
from urllib.parse import quote

from starlette.responses import Response

from storage.models import Attachment, AttachmentContent

EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/webm": ".webm",
    "video/3gpp": ".3gp",
    "audio/ogg": ".ogg",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "audio/aac": ".aac",
    "audio/wav": ".wav",
}
_UNSAFE_NAME = re.compile(r"[^\w.\- ]+", re.UNICODE)


def filename(a: Attachment) -> str:
    """The sender's name without anything odd in it, and the extension of what the content is (a
    "photo.jpg" that is a PDF is served as .pdf)."""
    stem = (a.original_name or "").rsplit(".", 1)[0] if a.original_name else ""
    stem = _UNSAFE_NAME.sub("_", stem).strip(" ._")[:80] or f"{a.kind}-{a.id}"
    return stem + EXTENSIONS.get(a.mime or "", "")


def file_response(a: Attachment, stored: AttachmentContent, data: bytes, role: str = "full") -> Response:
    name = filename(a) if role == "full" else f"thumb-{a.id}.jpg"
    disposition = "inline" if stored.mime.startswith("image/") else "attachment"
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    headers = {
        "Content-Disposition": f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}",
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        # Opened on its own, the content can run nothing and reach nothing.
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Referrer-Policy": "no-referrer",
    }
    return Response(data, media_type=stored.mime, headers=headers)
