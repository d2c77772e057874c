"""What every console page shares: the signed-in agent, templates, inert text, JST times, headers."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from bot.channels import AppContext
from bot.console.i18n import translator
from bot.i18n import JST, language_names
from storage.db import Database
from storage.repositories import console as audit_repo

HERE = Path(__file__).resolve().parent
PREFIX = "/console"

# Content only from this origin, no inline script or style anywhere: customer text that slipped into
# markup still could not run. form-action keeps forms posting home; frame-ancestors stops clickjacking.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    # Pages carry personal data: never kept by the browser or a proxy.
    "Cache-Control": "no-store",
}

# Bidirectional controls (embeddings, overrides, isolates, marks): a customer's RLO could make text
# read backwards ("exe.pdf") or flip the layout around it. Shown as visible codes instead.
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def inert(text: object) -> str:
    """Customer-supplied text made safe to show as text: bidi controls become visible codes."""
    return _BIDI.sub(lambda m: f"[U+{ord(m.group()):04X}]", "" if text is None else str(text))


def _finalize(value: Any) -> Any:
    # Every {{ value }} in every template goes through here before autoescaping: no template can forget.
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return inert(value)


def jst(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(JST).strftime(fmt) + " JST"


def jst_input(value: dt.datetime | None) -> str:
    """For <input type=datetime-local>: JST wall time without zone."""
    return "" if value is None else value.astimezone(JST).strftime("%Y-%m-%dT%H:%M")


def yen(value: int | None) -> str:
    return "" if value is None else f"¥{value:,}"


def language(locale: str | None) -> str:
    return language_names().get(locale or "", locale or "?")


@asynccontextmanager
async def reading(db: Database) -> AsyncIterator[AsyncSession]:
    """A read for the console (DEFERRED on SQLite: it never waits for a writer)."""
    async with db.read() as session:
        yield session


async def audited(
    db: Database,
    me: Me,
    action: str,
    target_type: str,
    target_id: object,
    detail: dict[str, Any] | None = None,
) -> None:
    """A view's audit entry: one short write after the page's data was read (never read under the lock)."""
    async with db.write() as s:
        audit_repo.audit(s, me.actor, action, target_type, target_id, detail, agent_id=me.agent_id)


@dataclass(frozen=True, slots=True)
class Me:
    """The signed-in agent of this request."""

    agent_id: int
    email: str
    name: str
    role: str
    csrf: str
    session_id: str
    # online | away, as chosen in the header (bot.availability; offline = no session)
    presence: str = "online"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def actor(self) -> str:
        return f"agent:{self.email}"


class Console:
    """The console's shared state; route modules are functions of (console, request, me)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.db = ctx.db
        self.bus = ctx.bus
        self.engine = ctx.engine
        self.settings = ctx.settings
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=True,
            finalize=_finalize,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.filters.update(jst=jst, jst_input=jst_input, yen=yen, language=language)
        self.templates.globals.update(prefix=PREFIX, languages=language_names())

    def render(self, name: str, me: Me | None, status: int = 200, **values: Any) -> HTMLResponse:
        values.setdefault("_", translator(getattr(me, "locale", None)))
        html = self.templates.get_template(name).render(me=me, **values)
        return HTMLResponse(html, status_code=status)

    def error(self, me: Me | None, status: int, message: str) -> Response:
        return self.render("error.html", me, status=status, status_code=status, message=message)


Handler = Callable[[Console, Request, Me], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Page:
    path: str
    handler: Handler
    methods: tuple[str, ...] = ("GET",)
    role: str = "agent"  # agent: every signed-in agent; admin: admins only


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "") or request.url.path.startswith(
        f"{PREFIX}/api/"
    )


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def json_error(message: str, status: int, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


# A form field (not a file) is never longer than this; the whole body is capped by bot.limits.BodyLimit
# before it is parsed, and Starlette spools a file to disk only past 1 MB, which only the CSV import
# (COUNSELBOT_MAX_UPLOAD_BYTES) can reach.
MAX_FIELD_BYTES = 64 * 1024


async def form_data(request: Request, *, max_files: int = 1) -> Mapping[str, Any]:
    return await request.form(max_files=max_files, max_fields=200, max_part_size=MAX_FIELD_BYTES)


def field(form: Mapping[str, Any], name: str, limit: int = 2000) -> str:
    value = form.get(name, "")
    return value.strip()[:limit] if isinstance(value, str) else ""


def int_param(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None
