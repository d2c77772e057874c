"""TOTP second factor (RFC 6238 via pyotp): secrets sealed with the app secret, codes, QR, recovery codes.

The secret is stored encrypted (AES-GCM, key = HMAC-SHA256 of the app secret with a fixed label), so a
copied database alone yields no second factor. A code is accepted for the time step before, at or after
now (clocks drift), and only for a step later than the last one accepted: a code seen over a shoulder
or replayed is dead once used.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import secrets
import time

import pyotp
import segno
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from markupsafe import Markup

ISSUER = "Beta Me console"
STEP = 30
RECOVERY_CODES = 10
_LABEL = b"counselbot console totp secret v1"


def _key(app_secret: str) -> bytes:
    return hmac.new(app_secret.encode(), _LABEL, hashlib.sha256).digest()


def seal(app_secret: str, secret: str) -> str:
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_key(app_secret)).encrypt(nonce, secret.encode(), _LABEL)
    return "v1:" + base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(app_secret: str, stored: str) -> str | None:
    """The secret, or None when it cannot be read (another app secret, a damaged value)."""
    if not stored.startswith("v1:"):
        return None
    try:
        raw = base64.urlsafe_b64decode(stored[3:])
        return AESGCM(_key(app_secret)).decrypt(raw[:12], raw[12:], _LABEL).decode()
    except (InvalidTag, ValueError):
        return None


def new_secret() -> str:
    return pyotp.random_base32()  # 32 base32 characters: 160 bits, as RFC 4226 recommends


def uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step whose code this is (now, or one step either side), or None."""
    digits = "".join(code.split())
    if len(digits) != 6 or not digits.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    at = time.time() if now is None else now
    current = int(at // STEP)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.at(step * STEP), digits):
            return step
    return None


def qr_svg(text: str, title: str = "QR code for your authenticator app") -> Markup:
    """The QR code as inline SVG (no script, no style attribute: it passes the console's CSP)."""
    out = io.BytesIO()
    segno.make(text, error="m").save(
        out,
        kind="svg",
        xmldecl=False,
        svgns=True,
        scale=5,
        border=4,
        dark="#000",
        light="#fff",
        svgclass="qr",
        title=title,  # segno escapes it
    )
    # segno's own markup: the text is encoded in the modules' pattern, never written out as markup.
    return Markup(out.getvalue().decode())


def grouped(secret: str) -> str:
    """The secret for typing by hand: groups of four."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def new_recovery_codes() -> list[str]:
    """Ten codes like `k7q2m-9xw4p` (50 bits each), shown once; only their sha256 is stored."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(alphabet) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def recovery_hash(code: str) -> str:
    normalized = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(normalized.encode()).hexdigest()


def looks_like_recovery(code: str) -> bool:
    return len("".join(ch for ch in code if ch.isalnum())) == 10
