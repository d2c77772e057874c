"""Attachments in the console: what the transcript shows of them, and their content for signed-in agents.

Content is served only under /console/api/files/<token> (256 random bits, not the row id), to a
signed-in agent (401 otherwise: an API path), every view audited, with `Cache-Control: no-store`,
`X-Content-Type-Options: nosniff`, a sandboxing CSP, and `Content-Disposition: attachment` for
anything that is not an image: a document is downloaded, never rendered by the browser in our origin.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.attachments import outbound
from bot.attachments.serve import file_response
from bot.attachments.store import ContentStore
from bot.console.i18n import N_, Translate, translator
from bot.console.web import PREFIX, Console, Me, audited, inert, json_error, reading
from storage.models import Attachment, Conversation
from storage.repositories import attachments as repo
from storage.repositories import console as audit_repo
from storage.repositories import tickets

TYPE_LABELS = {
    "application/pdf": N_("PDF document"),
    "image/jpeg": N_("JPEG image"),
    "image/png": N_("PNG image"),
    "image/gif": N_("GIF image"),
    "image/webp": N_("WebP image"),
    "video/mp4": N_("MP4 video"),
    "video/quicktime": N_("QuickTime video"),
    "audio/ogg": N_("Voice message (Ogg)"),
    "audio/mp4": N_("Audio (M4A)"),
    "audio/mpeg": N_("Audio (MP3)"),
}
STATUS_LABELS = {
    "pending": N_("Fetching…"),
    "failed": N_("Could not be fetched"),
    "refused": N_("Refused: %(reason)s"),
}
KIND_LABELS = {
    "image": N_("Photo"),
    "video": N_("Video"),
    "audio": N_("Voice message"),
    "file": N_("Document"),
    "location": N_("Location"),
}


def human_size(n: int | None) -> str:
    if n is None:
        return ""
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n / (1024 * 1024):.1f} MB"


def map_url(lat: float, lon: float) -> str:
    """A map at the coordinates: built from the numbers only, never from text the customer sent."""
    return f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}#map=17/{lat:.6f}/{lon:.6f}"


def attachment_json(a: Attachment, entry: int | None, _: Translate) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": a.id,
        "entry": entry,
        "direction": a.direction,
        "kind": a.kind,
        "kind_label": _(KIND_LABELS.get(a.kind, a.kind)),
        "status": a.status,
        "status_label": _(STATUS_LABELS[a.status], reason=inert(a.error or ""))
        if a.status in STATUS_LABELS
        else "",
        "name": inert(a.original_name) if a.original_name else None,
    }
    if a.kind == "location" and a.latitude is not None and a.longitude is not None:
        out.update(
            coordinates=f"{a.latitude:.6f}, {a.longitude:.6f}",
            map=map_url(a.latitude, a.longitude),
            map_label=_("Open in a map"),
            place=inert(a.place) if a.place else None,
        )
    elif a.status == "fetched":
        base = f"{PREFIX}/api/files/{a.token}"
        out.update(
            url=base,
            thumb=f"{base}/thumb" if a.kind == "image" else None,
            type_label=_(TYPE_LABELS.get(a.mime or "", a.mime or "")),
            size=human_size(a.size),
            open_label=_("Open the full image") if a.kind == "image" else _("Download"),
        )
    return out


async def for_stream(console: Console, conv_id: int, me: Me, seen: dict[int, str]) -> list[dict[str, Any]]:
    """The conversation's attachments that are new or changed since `seen` (which is updated)."""
    async with reading(console.db) as s:
        rows = await repo.with_entries(s, conv_id)
    _ = translator(getattr(me, "locale", None))
    changed = []
    for a, entry in rows:
        stamp = f"{a.status}:{entry}"
        if seen.get(a.id) != stamp:
            seen[a.id] = stamp
            changed.append(attachment_json(a, entry, _))
    return changed


async def content(console: Console, request: Request, me: Me) -> Response:
    token = request.path_params["token"]
    role = "thumb" if request.url.path.endswith("/thumb") else "full"
    async with reading(console.db) as s:
        att = await repo.by_token(s, token)
        stored = await repo.content(s, att.id, role) if att is not None else None
    data = await ContentStore(console.settings).read(stored) if stored is not None else None
    if att is None or stored is None or data is None:
        return json_error("no such file", 404)
    await audited(
        console.db,
        me,
        "attachment.view" if role == "full" else "attachment.thumbnail",
        "attachment",
        att.id,
        {"conversation_id": att.conversation_id},
    )
    return file_response(att, stored, data, role)


SEND_ERRORS = {
    "too large": N_("The file is too large (at most %(mb)s MB)."),
    "empty": N_("Choose a file first."),
    "type not accepted": N_("Only photos (JPEG, PNG) and PDF documents can be sent."),
    "image not readable": N_("This image could not be read."),
}


async def send(console: Console, request: Request, me: Me) -> Response:
    """POST the file's bytes as the body (X-File-Name: its name, URL-encoded; X-CSRF-Token)."""
    conv_id = int(request.path_params["conversation_id"])
    _ = translator(getattr(me, "locale", None))
    async with reading(console.db) as s:
        ticket = await tickets.active_ticket(s, conv_id)
        conv = await s.get(Conversation, conv_id)
    if ticket is None or ticket.status != "claimed" or ticket.claimed_by != me.agent_id:
        return json_error(_("Claim this conversation before replying."), 409)
    if (
        conv is not None
        and conv.channel == "line"
        and not (console.settings.public_url or "").startswith("https://")
    ):
        # LINE fetches what a bot sends from a public https URL: without one the file cannot go out.
        return json_error(
            _("Files can be sent on LINE only when COUNSELBOT_PUBLIC_URL is an https URL."), 409
        )
    data = await request.body()  # capped while it streams in (bot.app.body_cap)
    name = unquote(request.headers.get("x-file-name", ""))[:255].replace("\x00", "") or None
    limit = console.settings.attachment_max_bytes
    try:
        outbox_id = await outbound.send_file(
            console.db, console.bus, console.settings, conv_id, me.agent_id, data, name
        )
    except outbound.NotSendable as exc:
        reason = str(exc)
        status = 413 if reason == "too large" else 415 if reason != "empty" else 400
        return json_error(
            _(SEND_ERRORS.get(reason, SEND_ERRORS["type not accepted"]), mb=limit // 1048576), status
        )
    except LookupError:
        return json_error(_("No such conversation."), 404)
    async with console.db.write() as s:
        audit_repo.audit(
            s,
            me.actor,
            "conversation.file",
            "conversation",
            conv_id,
            {"outbox_id": outbox_id},
            agent_id=me.agent_id,
        )
    return JSONResponse({"ok": True, "outbox_id": outbox_id})
