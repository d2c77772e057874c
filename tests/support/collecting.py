"""A collecting output channel for tests: records what the delivery worker sends, fails on demand."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from bot.channels import Delivery, Failed, Retry, SendResult, Sent
from bot.events import Body, ConversationKey, InboundEvent, TextIn


@dataclass
class CollectingSender:
    channel: str = "webchat"
    fail_times: int = 0
    always_fail: set[str] = field(default_factory=set)
    permanent: bool = False
    sent: list[Delivery] = field(default_factory=list)
    attempts: list[tuple[int, float]] = field(default_factory=list)

    async def send(self, delivery: Delivery) -> SendResult:
        self.attempts.append((delivery.outbox_id, dt.datetime.now(dt.UTC).timestamp()))
        if delivery.key.user_id in self.always_fail:
            if self.permanent:
                return Failed("400 bad request", delivery.parts_sent, status=400)
            return Retry("503 unavailable", delivery.parts_sent, status=503)
        if self.fail_times > 0:
            self.fail_times -= 1
            return Retry("500 server error", delivery.parts_sent, status=500)
        self.sent.append(delivery)
        return Sent(len(delivery.messages))

    def texts_for(self, user_id: str) -> list[str]:
        return [m.text for d in self.sent if d.key.user_id == user_id for m in d.messages]


def event(
    user: str,
    body: Body | str,
    event_id: str | None = None,
    channel: str = "webchat",
    at: dt.datetime | None = None,
    **kw: object,
) -> InboundEvent:
    if isinstance(body, str):
        body = TextIn(body)
    return InboundEvent(
        key=ConversationKey(channel, user),
        event_id=event_id or uuid.uuid4().hex,
        received_at=at or dt.datetime.now(dt.UTC),
        body=body,
        **kw,  # type: ignore[arg-type]
    )
