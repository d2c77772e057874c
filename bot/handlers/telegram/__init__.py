"""The Telegram channel (see docs/telegram.md): python-telegram-bot as the HTTP client only;
conversations stay in counselbot's engine.

In: POST /webhooks/telegram (secret header checked), or long polling when COUNSELBOT_TELEGRAM_POLLING
is true. Out: TelegramSender for the delivery worker. `setup(ctx)` returns None without a bot token.
"""

from __future__ import annotations

from starlette.routing import Route

from bot.attachments.outbound import content_loader
from bot.channels import AppContext, Component
from bot.handlers.telegram.client import make_bot
from bot.handlers.telegram.commands import ChatCommands
from bot.handlers.telegram.polling import Poller
from bot.handlers.telegram.sender import TelegramSender
from bot.handlers.telegram.typing import TypingRelay
from bot.handlers.telegram.updates import UpdateProcessor
from bot.handlers.telegram.webhook import PATH, TelegramWebhook

__all__ = ["PATH", "setup"]


def setup(ctx: AppContext) -> Component | None:
    settings = ctx.settings
    if settings.telegram_bot_token is None:
        return None
    bot = make_bot(settings)
    sender = TelegramSender(bot, files=content_loader(ctx.db, settings))
    processor = UpdateProcessor(ctx.engine, bot, chat_commands=ChatCommands(bot, ctx.db))
    secret = settings.telegram_webhook_secret.get_secret_value() if settings.telegram_webhook_secret else None
    webhook = TelegramWebhook(secret, processor, settings.max_body_bytes)
    poller = Poller(bot, processor, sender.start) if settings.telegram_polling else None
    typing = TypingRelay(bot, ctx.bus, ctx.db)

    async def shutdown() -> None:
        # The poll task is already cancelled (app lifespan); finish the cosmetic calls, confirm the
        # stored updates to Telegram, then close the HTTP client.
        await processor.drain()
        if poller is not None:
            await poller.confirm()
        await sender.close()

    if poller is not None:
        inbound = "long polling"
    elif secret:
        inbound = f"webhook {PATH}"
    else:
        inbound = f"webhook {PATH} refuses every call: set COUNSELBOT_TELEGRAM_WEBHOOK_SECRET"
    return Component(
        name="telegram",
        # The webhook route stays even while polling: a stray call is still verified and refused.
        routes=[Route(PATH, webhook.handle, methods=["POST"])],
        senders=[sender],
        background=[typing.run, *([poller.run] if poller is not None else [])],
        on_shutdown=[shutdown],
        describe=f"Telegram: on, {inbound}",
        extra={"processor": processor, "sender": sender, "poller": poller, "bot": bot, "typing": typing},
    )
