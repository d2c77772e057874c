"""What a file is, from its first bytes — never from its name or the type the sender claims.

Only the types in ACCEPTED are kept; executables, scripts, archives (a .docx is a zip too) and
anything unrecognised are refused. The checks are the formats' own signatures (magic numbers).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Sniffed:
    mime: str
    kind: str  # image | video | audio | file
    accepted: bool


# (offset, signature, mime, kind)
_SIGNATURES: tuple[tuple[int, bytes, str, str], ...] = (
    (0, b"\xff\xd8\xff", "image/jpeg", "image"),
    (0, b"\x89PNG\r\n\x1a\n", "image/png", "image"),
    (0, b"GIF87a", "image/gif", "image"),
    (0, b"GIF89a", "image/gif", "image"),
    (0, b"%PDF-", "application/pdf", "file"),
    (0, b"OggS", "audio/ogg", "audio"),
    (0, b"ID3", "audio/mpeg", "audio"),
    (0, b"\x1aE\xdf\xa3", "video/webm", "video"),
)
_FTYP_BRANDS = {
    b"M4A ": ("audio/mp4", "audio"),
    b"M4B ": ("audio/mp4", "audio"),
    b"qt  ": ("video/quicktime", "video"),
    b"3gp4": ("video/3gpp", "video"),
    b"3gp5": ("video/3gpp", "video"),
    b"3g2a": ("video/3gpp2", "video"),
}
_VIDEO_BRANDS = (b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"dash", b"MSNV")
# Refused by name in the log line, so an agent asking "why" gets an answer.
_EXECUTABLES = (
    b"MZ",
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"#!",
)


def sniff(head: bytes) -> Sniffed | None:
    """The accepted type of content starting with `head` (the first 64 bytes suffice), else None."""
    if any(head.startswith(sig) for sig in _EXECUTABLES):
        return None
    for offset, sig, mime, kind in _SIGNATURES:
        if head[offset : offset + len(sig)] == sig:
            return Sniffed(mime, kind, True)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("image/webp", "image", True)
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return Sniffed("audio/wav", "audio", True)
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _FTYP_BRANDS:
            mime, kind = _FTYP_BRANDS[brand]
            return Sniffed(mime, kind, True)
        if brand in _VIDEO_BRANDS:
            return Sniffed("video/mp4", "video", True)
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06:
        # An MPEG audio frame header (MP3 without an ID3 tag); AAC's ADTS has layer bits 00.
        return Sniffed("audio/mpeg", "audio", True)
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return Sniffed("audio/aac", "audio", True)
    return None


def is_executable(head: bytes) -> bool:
    return any(head.startswith(sig) for sig in _EXECUTABLES)
