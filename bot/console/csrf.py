"""CSRF: every state-changing request carries the session's token (form field `csrf` or header
X-CSRF-Token), and a cross-origin Origin header is refused outright. The login form, which has no
session yet, uses a double-submit token: a random cookie that the form must repeat."""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request

from bot.console.web import form_data

HEADER = "x-csrf-token"
FIELD = "csrf"
LOGIN_COOKIE = "cb_console_login"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return True  # not sent (older browsers, curl): the token still decides
    parts = urlsplit(origin)
    return parts.scheme == request.url.scheme and parts.netloc == request.url.netloc


async def submitted(request: Request) -> str:
    token = request.headers.get(HEADER)
    if token:
        return token
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await form_data(request)).get(FIELD)
        return value if isinstance(value, str) else ""
    return ""


async def valid(request: Request, expected: str) -> bool:
    if not expected or not same_origin(request):
        return False
    return hmac.compare_digest((await submitted(request)).encode(), expected.encode())
