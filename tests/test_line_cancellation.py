"""A whole cancellation on LINE: menu quick replies, consent, booking reference typed, date of birth
from the date picker, the booking chosen, the surgery question, the fee explained in yen, confirmed.

Every step is a signed webhook shaped as LINE sends it (postbacks carry the data of the button the
bot rendered); every answer goes out through the real line-bot-sdk client to the fake LINE API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.demo import DEMO_BIRTH_DATE, seed_demo
from storage.db import Database
from storage.models import OutboxMessage, Request
from tests.fakes.line_api import (
    ACCESS_TOKEN,
    CHANNEL_SECRET,
    FakeLine,
    event_from,
    run_fake_line,
    sign,
    webhook_body,
)
from tests.fakes.line_flex import check_flex
from tests.support.server import serve_app
from tests.support.wait import eventually

USER = "U7c0ffee0123456789abcdef01234567"


class LineCustomer:
    """Plays the customer's LINE app: sends what they type or tap, reads what the bot sent."""

    def __init__(self, fake: FakeLine, http: httpx.AsyncClient, db: Database) -> None:
        self.fake, self.http, self.db = fake, http, db

    async def _send(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        before = len(self.fake.messages(USER))
        body = webhook_body(event)
        response = await self.http.post(
            "/webhooks/line", content=body, headers={"X-Line-Signature": sign(body)}
        )
        assert response.status_code == 200
        await eventually(self._settled)
        return self.fake.messages(USER)[before:]

    async def _settled(self) -> bool:
        async with self.db.read() as s:
            rows = (await s.execute(select(OutboxMessage.status))).scalars().all()
        return all(status in ("sent", "dead", "cancelled") for status in rows)

    async def type(self, text: str) -> list[dict[str, Any]]:
        token = self.fake.issue_reply_token(USER)
        return await self._send(event_from("text", user_id=USER, reply_token=token, message__text=text))

    async def tap(self, answers: list[dict[str, Any]], label_part: str) -> list[dict[str, Any]]:
        """Tap the quick-reply button whose label (or the full text it stands for) contains `label_part`."""
        actions = [
            i["action"] for i in answers[-1]["quickReply"]["items"] if i["action"]["type"] == "postback"
        ]
        [action] = [a for a in actions if label_part in a["label"] or label_part in a.get("displayText", "")]
        token = self.fake.issue_reply_token(USER)
        return await self._send(
            event_from("postback", user_id=USER, reply_token=token, postback__data=action["data"])
        )

    async def pick_date(self, answers: list[dict[str, Any]], day: str) -> list[dict[str, Any]]:
        [picker] = [
            i["action"] for i in answers[-1]["quickReply"]["items"] if i["action"]["type"] == "datetimepicker"
        ]
        assert picker["mode"] == "date" and picker.get("min", "") <= day <= picker.get("max", "9999")
        token = self.fake.issue_reply_token(USER)
        event = event_from(
            "postback_date",
            user_id=USER,
            reply_token=token,
            postback__data=picker["data"],
            postback__params={"date": day},
        )
        return await self._send(event)


@pytest.fixture
async def customer(db_url: str, settings_for: Callable[..., Settings]) -> AsyncIterator[LineCustomer]:
    async with run_fake_line() as fake:
        settings = settings_for(
            db_url,
            line_channel_secret=CHANNEL_SECRET,
            line_channel_access_token=ACCESS_TOKEN,
            line_api_base=fake.base_url,
        )
        await seed_demo(settings)
        db = Database(db_url)
        try:
            async with serve_app(settings) as base, httpx.AsyncClient(base_url=base, timeout=10) as http:
                yield LineCustomer(fake, http, db)
        finally:
            await db.dispose()


def texts(answers: list[dict[str, Any]]) -> str:
    # A Flex card's altText is its whole content as prose (what the notification shows).
    return "\n".join(m.get("text") or m.get("altText", "") for m in answers)


def card_texts(message: dict[str, Any]) -> list[str]:
    """Every text of a Flex bubble, in order (labels and values)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "text":
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message["contents"])
    return found


async def test_a_surgery_appointment_cancelled_two_days_ahead_on_line_costs_half_in_yen(
    customer: LineCustomer,
) -> None:
    answers = await customer.type("menu")
    assert answers[-1]["text"].startswith("How can I help you?")

    answers = await customer.tap(answers, "Cancel a booking")
    assert "Do you agree?" in texts(answers)
    answers = await customer.tap(answers, "I agree")
    assert "booking reference" in texts(answers)

    answers = await customer.type("DEMO-SURGERY")
    assert "date of birth" in texts(answers)
    answers = await customer.pick_date(answers, DEMO_BIRTH_DATE.isoformat())
    assert "this chat is now linked" in texts(answers)
    assert "Which booking do you want to cancel?" in texts(answers)

    answers = await customer.tap(answers, "DEMO-SURGERY")
    assert "Have you decided not to have the surgery at all?" in texts(answers)
    answers = await customer.tap(answers, "No, only this appointment")
    explained = texts(answers)
    assert "2 days before" in explained
    assert "50% of ¥120,000 = ¥60,000" in explained
    [card] = [m for m in answers if m["type"] == "flex"]
    assert check_flex(card) == ""
    shown = card_texts(card)
    assert shown[0] == "Cancellation fee"
    row = dict(zip(shown[1::2], shown[2::2], strict=True))
    assert row["Booking"] == "Surgery (DEMO-SURGERY)" and row["Notice"] == "2 days before"
    assert "(JST)" in row["Date and time"] and row["Rate"] == "50%"
    assert (row["Interpretation fee"], row["Cancellation fee"]) == ("¥120,000", "¥60,000")

    answers = await customer.tap(answers, "Yes, cancel it")
    assert "Your cancellation request has been sent" in texts(answers)

    async with customer.db.read() as s:
        [request] = (await s.execute(select(Request))).scalars().all()
    assert (request.kind, request.status) == ("cancellation", "filed")
    assert request.details["fee"]["fee_jpy"] == 60000
    # Every answer went out as a reply to the customer's own event, none twice.
    assert customer.fake.of("push") == []
    tokens = [r.body["replyToken"] for r in customer.fake.of("reply")]
    assert len(tokens) == len(set(tokens)) == 8
    postbacks = [
        parse_qs(a["action"]["data"])
        for m in customer.fake.messages(USER)
        for a in m.get("quickReply", {}).get("items", [])
    ]
    assert all("t" in p for p in postbacks)
