"""The website's chat: a page at `/`, a JSON API to write or press a button, replies over SSE.

The visitor is known by a signed cookie. Each message carries a client-generated id, which is the
event id: a browser retrying a POST never produces a second answer.
"""

from __future__ import annotations

from pathlib import Path

from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.channels import AppContext, Component, Delivery, SendResult, Sent
from bot.handlers.webchat import routes as r
from bot.handlers.webchat.files import UPLOAD_PATH, WebchatFiles

HERE = Path(__file__).resolve().parent


class WebchatSender:
    """Delivering to the web chat means making the message visible to the visitor's stream."""

    channel = "webchat"

    async def send(self, delivery: Delivery) -> SendResult:
        return Sent(len(delivery.messages))


def setup(ctx: AppContext) -> Component:
    api = r.WebchatAPI(ctx)
    files = WebchatFiles(ctx, api)
    return Component(
        name="webchat",
        routes=[
            Route("/", api.page),
            Route("/api/chat/messages", api.post_message, methods=["POST"]),
            Route("/api/chat/history", api.history),
            Route("/api/chat/stream", api.stream),
            Route(UPLOAD_PATH, files.upload, methods=["POST"]),
            Route(UPLOAD_PATH + "/{token:str}", files.download),
            Mount("/static/chat", StaticFiles(directory=HERE / "static"), name="chat-static"),
        ],
        senders=[WebchatSender()],
        describe=f"web chat: on (http://{ctx.settings.host}:{ctx.settings.port}/)",
    )
