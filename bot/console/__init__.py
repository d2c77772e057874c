"""The agents' web console at /console: the queue, conversations, customers and bookings, admin pages.

Staff-facing, in English; what reaches a customer goes through the engine in the customer's language.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.channels import AppContext, Component
from bot.console import (
    account,
    account_admin,
    account_signin,
    admin,
    auth,
    bookings,
    composing,
    conversation,
    customers,
    finder,
    import_progress,
    labels,
    linklocks,
    queue,
    reports,
    resolve,
    team,
)
from bot.console.notify import AgentsGroupNotifier
from bot.console.web import HERE, PREFIX, Console, Page

PAGES: list[Page] = [
    *auth.PAGES,
    *account_signin.PAGES,
    *account.PAGES,
    *account_admin.PAGES,
    *queue.PAGES,
    *conversation.PAGES,
    *composing.PAGES,
    *resolve.PAGES,
    *finder.PAGES,
    *labels.PAGES,
    *customers.PAGES,
    *bookings.PAGES,
    *import_progress.PAGES,
    *linklocks.PAGES,
    *admin.PAGES,
    *team.PAGES,
    *reports.PAGES,
]


def routes(console: Console) -> list[BaseRoute]:
    async def login_page(request: Request) -> Response:
        return await auth.login_page(console, request)

    async def login(request: Request) -> Response:
        return await auth.login(console, request)

    async def home(_: Request) -> Response:
        return RedirectResponse(f"{PREFIX}/", status_code=307)

    out: list[BaseRoute] = [
        Route(PREFIX, home),
        Route(f"{PREFIX}/login", login_page, methods=["GET"]),
        Route(f"{PREFIX}/login", login, methods=["POST"]),
        Mount(f"{PREFIX}/static", StaticFiles(directory=HERE / "static"), name="console-static"),
    ]
    out += [Route(PREFIX + p.path, auth.guard(console, p), methods=list(p.methods)) for p in PAGES]
    return out


def setup(ctx: AppContext) -> Component:
    console = Console(ctx)
    settings = ctx.settings
    background = []
    if settings.telegram_agents_chat_id and settings.telegram_bot_token is not None:
        notifier = AgentsGroupNotifier(
            ctx, settings.telegram_agents_chat_id, settings.telegram_bot_token.get_secret_value()
        )
        background.append(notifier.run)
    return Component(
        name="console",
        routes=routes(console),
        background=background,
        describe=f"console: on (http://{settings.host}:{settings.port}{PREFIX}/; add agents with "
        "`counselbot agents add`)",
        extra={"console": console},
    )
