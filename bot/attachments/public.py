"""GET /files/<token>/<full|thumb>?e=..&s=..: an agent's file by a signed, expiring link, for the
platforms that fetch what we send (LINE's image messages need a public https URL). Only files agents
sent are served this way; a customer's files never leave the console's signed-in routes."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.attachments.outbound import valid
from bot.attachments.serve import file_response
from bot.attachments.store import ContentStore
from bot.channels import AppContext, Component
from storage.repositories import attachments as repo


def setup(ctx: AppContext) -> Component:
    secret = ctx.settings.secret()
    store = ContentStore(ctx.settings)

    async def serve(request: Request) -> Response:
        token, role = request.path_params["token"], request.path_params["role"]
        q = request.query_params
        if role not in ("full", "thumb") or not valid(secret, token, role, q.get("e", ""), q.get("s", "")):
            return PlainTextResponse("not found", status_code=404)
        async with ctx.db.read() as s:
            att = await repo.by_token(s, token)
            stored = (
                await repo.content(s, att.id, role) if att is not None and att.direction == "out" else None
            )
        data = await store.read(stored) if stored is not None else None
        if att is None or stored is None or data is None:
            return PlainTextResponse("not found", status_code=404)
        return file_response(att, stored, data, role)

    return Component(name="files", routes=[Route("/files/{token:str}/{role:str}", serve, methods=["GET"])])
