"""What the bot says about attachments, in the customer's language (customer-facing: msg())."""

from __future__ import annotations

from bot.i18n import Msg, msg

THANKS: dict[str, Msg] = {
    "image": msg("Thank you for the photo. A person from our team will look at it."),
    "video": msg("Thank you for the video. A person from our team will look at it."),
    "audio": msg("Thank you for the voice message. A person from our team will listen to it."),
    "file": msg("Thank you for the document. A person from our team will look at it."),
    "location": msg(
        "Thank you for sharing your location. A person from our team will look at it and help you."
    ),
}
STICKER = msg("Thank you for the sticker! Write to me any time you need something.")
REFUSED_TYPE = msg(
    "Sorry, we cannot accept this kind of file. Please send a photo (JPEG, PNG), a PDF document, "
    "a video or a voice message."
)


def too_large(limit_bytes: int) -> Msg:
    return msg(
        "Sorry, this file is too large for us to receive (at most {mb} MB). Please send a smaller one.",
        mb=max(1, limit_bytes // (1024 * 1024)),
    )


DAILY_LIMIT = msg(
    "Sorry, you have sent as many files today as we can receive in one day. Please send the rest "
    "tomorrow, or describe it in a message."
)
NOT_FETCHED = msg("Sorry, we could not receive your file. Please send it again.")


def thanks(kind: str) -> Msg:
    return THANKS.get(kind, THANKS["file"])


# What the agents' ticket says (English like every ticket summary; the console translates its chrome).
SUMMARY = {
    "image": "The customer sent a photo.",
    "video": "The customer sent a video.",
    "audio": "The customer sent a voice message.",
    "file": "The customer sent a document.",
    "location": "The customer sent their location.",
}
