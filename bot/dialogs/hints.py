"""What a re-asked question says it expects, with an example in the customer's own format."""

from __future__ import annotations

import datetime as dt

from bot.dialogs.answering import Expectation
from bot.i18n import Msg, msg

_BIRTH_EXAMPLE = dt.date(1990, 4, 1)


def hint(expect: Expectation) -> Msg:
    match expect.kind:
        case "birth_date":
            return msg("Please type your date of birth, for example {example}.", example=_BIRTH_EXAMPLE)
        case "date":
            return msg(
                "Please choose a date in the calendar, or type it, for example {example}.",
                example=_EXAMPLE_DAY,
            )
        case "reference":
            return msg(
                "Please type your booking reference, for example BK-1234. "
                "You find it in your booking confirmation e-mail."
            )
        case "minutes":
            return msg(
                "Please tell me how late you will be, for example “20 minutes”, or the time you expect to "
                "arrive, for example “15:20”."
            )
        case "yes_no":
            return msg("Please answer yes or no, or choose one of the buttons below.")
        case "free_text":
            return msg("Please type a few words about it.")
    return msg("Please choose one of the options below, or type its number.")


# A fixed day shows the format only; it is not offered as a date to pick.
_EXAMPLE_DAY = dt.date(2026, 5, 20)
