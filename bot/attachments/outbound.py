"""An agent's photo or PDF to the customer: checked and cleaned like a customer's file, stored, and
sent through the outbox like every reply (same retries, same exactly-once rules per channel).

The outbox message is a Rendered of kind "file" naming the attachment by its token; each channel
turns it into its own form (LINE: an image message or a link, both a signed expiring URL under
COUNSELBOT_PUBLIC_URL; Telegram: sendPhoto / sendDocument with the bytes; the web chat: a link the
visitor's cookie opens).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.attachments import images
from bot.attachments.serve import filename
from bot.attachments.sniff import sniff
from bot.attachments.store import ContentStore
from bot.bus import Bus
from bot.config import Settings
from bot.replies import Rendered
from storage.db import Database
from storage.repositories import attachments as repo
from storage.repositories import conversations as conv_repo
from storage.repositories import outbox

# What agents may send: photos and PDF documents.
SENDABLE = ("image/jpeg", "image/png", "application/pdf")


class NotSendable(ValueError):
    """Not a photo (JPEG, PNG) or a PDF, judged from the content; or too large."""


@dataclass(frozen=True, slots=True)
class Prepared:
    kind: str
    mime: str
    full: bytes
    thumb: bytes | None


def prepare(data: bytes, limit: int) -> Prepared:
    """CPU work (run it in a thread): the type from the bytes, images re-encoded without metadata."""
    if not data or len(data) > limit:
        raise NotSendable("too large" if data else "empty")
    found = sniff(data[:64])
    if found is None or found.mime not in SENDABLE:
        raise NotSendable("type not accepted")
    if found.kind == "image":
        try:
            cleaned = images.clean(data, found.mime)
        except images.BadImage as exc:
            raise NotSendable("image not readable") from exc
        return Prepared("image", cleaned.mime, cleaned.data, cleaned.thumb)
    return Prepared("file", found.mime, data, None)


async def send_file(
    db: Database,
    bus: Bus,
    settings: Settings,
    conversation_id: int,
    agent_id: int | None,
    data: bytes,
    name: str | None,
) -> int:
    """The agent's file into the outbox; returns the outbox id. NotSendable, LookupError."""
    prepared = await asyncio.to_thread(prepare, data, settings.attachment_max_bytes)
    store = ContentStore(settings)
    token = repo.new_token()
    blobs = [await store.put(token, "full", prepared.mime, prepared.full)]
    if prepared.thumb is not None:
        blobs.append(await store.put(token, "thumb", "image/jpeg", prepared.thumb))
    now = dt.datetime.now(dt.UTC)
    try:
        return await _enqueue(db, bus, conversation_id, agent_id, name, prepared, blobs, token, now)
    except BaseException:
        await store.delete([b.bucket_key for b in blobs if b.bucket_key])
        raise


async def _enqueue(
    db: Database,
    bus: Bus,
    conversation_id: int,
    agent_id: int | None,
    name: str | None,
    prepared: Prepared,
    blobs: list[repo.Blob],
    token: str,
    now: dt.datetime,
) -> int:
    async with db.write() as s:
        conv = await conv_repo.lock_conversation_by_id(s, conversation_id)
        if conv is None:
            raise LookupError("no such conversation")
        att = await repo.add(
            s,
            repo.NewAttachment(
                conversation_id=conv.id,
                channel=conv.channel,
                direction="out",
                kind=prepared.kind,
                source="agent:",
                original_name=name,
                size=len(prepared.full),
                token=token,
            ),
            now,
        )
        await repo.store_content(s, att.id, kind=prepared.kind, blobs=blobs, now=now)
        label = name or ("photo" if prepared.kind == "image" else "document")
        extra: dict[str, Any] = {
            "attachment": att.token,
            "kind": prepared.kind,
            "mime": prepared.mime,
            "size": len(prepared.full),
            "name": label,
            "thumb": prepared.thumb is not None,
        }
        rendered = Rendered("file", label, extra=extra)
        row = outbox.enqueue(
            s,
            conversation_id=conv.id,
            channel=conv.channel,
            user_id=conv.user_id,
            messages=[rendered],
            source="agent",
        )
        await s.flush()
        att.outbox_id = row.id
        describe = f"[{'photo' if prepared.kind == 'image' else 'document'}] {label}"
        conv_repo.add_transcript(
            s, conv.id, "agent", describe, agent_id=agent_id, outbox_id=row.id, payload=rendered.to_json()
        )
        outbox_id = row.id
    await bus.publish("outbox", {"id": outbox_id})
    await bus.publish(f"conversation:{conversation_id}", {"conversation_id": conversation_id})
    return outbox_id


# -- signed links (LINE fetches an agent's image from us) ----------------------------------------------


def sign(secret: str, token: str, role: str, expires: int) -> str:
    message = f"{token}|{role}|{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:40]


def signed_path(secret: str, token: str, role: str, ttl: int, now: float | None = None) -> str:
    """/files/<token>/<role>?e=<expiry>&s=<signature>: readable by anyone holding it, until it expires."""
    expires = int((now or time.time()) + ttl)
    return f"/files/{token}/{role}?e={expires}&s={sign(secret, token, role, expires)}"


def valid(secret: str, token: str, role: str, expires: str, signature: str, now: float | None = None) -> bool:
    if not expires.isdigit() or int(expires) < (now or time.time()):
        return False
    return hmac.compare_digest(sign(secret, token, role, int(expires)), signature)


def public_links(settings: Settings) -> Callable[[Rendered], Rendered]:
    """For LINE: an agent's file message with signed URLs under COUNSELBOT_PUBLIC_URL added (made at
    each send attempt, so a retry carries a fresh expiry)."""
    base = (settings.public_url or "").rstrip("/")
    secret = settings.secret()
    ttl = settings.attachment_link_ttl

    def resolve(r: Rendered) -> Rendered:
        token = r.extra.get("attachment")
        if r.kind != "file" or not base or not isinstance(token, str):
            return r
        url = base + signed_path(secret, token, "full", ttl)
        preview = base + signed_path(secret, token, "thumb", ttl) if r.extra.get("thumb") else url
        return dataclasses.replace(r, extra={**r.extra, "url": url, "preview": preview})

    return resolve


Loaded = tuple[bytes, str, str]


def content_loader(db: Database, settings: Settings) -> Callable[[str], Awaitable[Loaded | None]]:
    """For Telegram's uploads: an agent's file's (bytes, mime, file name) by its token."""
    store = ContentStore(settings)

    async def load(token: str) -> Loaded | None:
        async with db.read() as s:
            att = await repo.by_token(s, token)
            stored = await repo.content(s, att.id) if att is not None and att.direction == "out" else None
        data = await store.read(stored) if stored is not None else None
        if att is None or stored is None or data is None:
            return None
        return data, stored.mime, filename(att)

    return load
