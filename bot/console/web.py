"""What every console page shares: the signed-in agent, templates, inert text, JST times, headers."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from bot.channels import AppContext
from bot.console.codenames import named
from bot.console.i18n import LANGUAGE_NAMES, Text, Translations, negotiate, translator
from bot.console.validate import FIRST_DAY, LAST_DAY, in_calendar
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


@pass_context
def _finalize(context: Context, value: Any) -> Any:
    # Every {{ value }} in every template goes through here before autoescaping: no template can forget.
    # A console string marked in Python (N_) is shown in the page's language.
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    if isinstance(value, Text):
        value = _page_translations(context)(value)
    return inert(value)


# The translations of the page being rendered, set only around one synchronous Template.render (no
# await inside): a macro imported without context (`{% from "_macros.html" import … %}`) sees the
# render's variables not, but its `_` must still be the agent's language. Never process-wide.
_rendering: ContextVar[Translations] = ContextVar("console_rendering")


def _current() -> Translations:
    return _rendering.get(translator(None))


class _RenderingTranslations:
    """The global `_` (for imported macros): delegates to the page being rendered."""

    def __call__(self, message: object, /, **values: Any) -> str:
        return _current()(message, **values)

    def __getattr__(self, name: str) -> Any:
        return getattr(_current(), name)


def _ngettext(singular: str, plural: str, n: int, /, **values: Any) -> str:
    return _current().ngettext(singular, plural, n, **values)


def _page_translations(context: Context) -> Translations:
    found = context.get("_")
    return found if isinstance(found, Translations) else _current()


@pass_context
def jst(context: Context, value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """JST in the agent's language's format; `fmt` says the precision (with %S: seconds; %H:%M: time)."""
    precision = "second" if "%S" in fmt else ("time" if fmt == "%H:%M" else "minute")
    return _page_translations(context).datetime(value, precision)


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
    locale: str = "ja"  # the agent's console language

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
        self.templates.globals.update(
            prefix=PREFIX,
            languages=language_names(),
            console_languages=LANGUAGE_NAMES,
            named=named,
            _=_RenderingTranslations(),
            ngettext=_ngettext,
        )

    def render(
        self, name: str, me: Me | None, status: int = 200, *, locale: str | None = None, **values: Any
    ) -> HTMLResponse:
        """A page in the agent's language (`locale` for a page before sign-in: see `request_locale`)."""
        tr = translator(locale or (me.locale if me is not None else None))
        values.setdefault("_", tr)
        values.setdefault("ngettext", tr.ngettext)
        token = _rendering.set(tr)
        try:
            html = self.templates.get_template(name).render(me=me, **values)
        finally:
            _rendering.reset(token)
        return HTMLResponse(html, status_code=status)

    def error(self, me: Me | None, status: int, message: str, *, locale: str | None = None) -> Response:
        return self.render(
            "error.html", me, status=status, status_code=status, message=message, locale=locale
        )


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


def request_locale(request: Request) -> str:
    """The console language for someone not signed in: the browser's preference, else Japanese."""
    return negotiate(request.headers.get("accept-language"))


def json_error(message: str, status: int, locale: str | None = None, **extra: Any) -> JSONResponse:
    """An error console.js shows to the agent: in their language (`locale`; Japanese by default)."""
    return JSONResponse({"error": translator(locale)(message), **extra}, status_code=status)


# A form field (not a file) is never longer than this; the whole body is capped by bot.limits.BodyLimit
# before it is parsed, and Starlette spools a file to disk only past 1 MB, which only the CSV import
# (COUNSELBOT_MAX_UPLOAD_BYTES) can reach.
MAX_FIELD_BYTES = 64 * 1024


async def form_data(request: Request, *, max_files: int = 1) -> Mapping[str, Any]:
    return await request.form(max_files=max_files, max_fields=200, max_part_size=MAX_FIELD_BYTES)


def field(form: Mapping[str, Any], name: str, limit: int = 2000) -> str:
    value = form.get(name, "")
    return value.strip()[:limit] if isinstance(value, str) else ""


_INTEGER = re.compile(r"-?[0-9]{1,19}")
_BIGGEST = 2**63 - 1  # both databases' BIGINT: a larger number in a query is an error, not "no match"


def int_param(value: str | int | None) -> int | None:
    """A whole number a database column can hold; None for anything else (a query, never a 500).
    A route's `{x:int}` path parameter arrives already an int."""
    if isinstance(value, int):
        number = value
    elif not value or not _INTEGER.fullmatch(value):
        return None
    else:
        number = int(value)
    return number if -_BIGGEST - 1 <= number <= _BIGGEST else None


def day_param(value: str | None) -> dt.date | None:
    """A YYYY-MM-DD the console can count from: a day past the calendar's edge (9999-12-31, where
    "the day after" overflows) is as unreadable as "tomorrow"."""
    try:
        day = dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return day if day is not None and FIRST_DAY <= day <= LAST_DAY else None


def instant_param(value: str | None) -> dt.datetime | None:
    """An ISO 8601 instant within the same years, with its zone (none given: UTC)."""
    try:
        at = dt.datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
    if at is None:
        return None
    at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return at if in_calendar(at) else None
