"""Real-shaped file contents for the fake platforms: a JPEG carrying EXIF with GPS, a PDF, a file
larger than the limit, an executable disguised by its name."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

CAMERA = "CounselTestCam"


def jpeg_with_gps(size: tuple[int, int] = (800, 600)) -> bytes:
    """A photo as a phone takes it: EXIF camera make, orientation and GPS coordinates (Tokyo)."""
    img = Image.new("RGB", size, (200, 120, 90))
    for x in range(0, size[0], 40):
        for y in range(0, size[1], 40):
            img.putpixel((x, y), (10, 10, 10))
    exif = Image.Exif()
    exif[0x010F] = CAMERA  # Make
    exif[0x0112] = 1  # Orientation
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (35.0, 40.0, 47.0)
    gps[3], gps[4] = "E", (139.0, 44.0, 12.0)
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif, quality=85)
    return out.getvalue()


def png(size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (20, 160, 90)).save(out, "PNG")
    return out.getvalue()


def pdf(text: str = "Referral letter") -> bytes:
    """A small, valid one-page PDF."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def windows_exe() -> bytes:
    """What a "photo.jpg" that is really a Windows program starts with."""
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(200)


def oversized(limit: int) -> bytes:
    """A PDF one kilobyte over `limit`."""
    body = pdf()
    return body + b"%" + b"x" * (limit - len(body) + 1024)


@dataclass
class Content:
    """What a fake platform serves for one message or file: `fail_first` answers 500 before the bytes,
    `never` always 500 (a content API that never recovers)."""

    data: bytes
    content_type: str = "application/octet-stream"
    fail_first: int = 0
    never: bool = False
    served: int = 0
    failed: int = 0
