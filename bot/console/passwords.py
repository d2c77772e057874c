"""Agent passwords: argon2id hashes (argon2-cffi's defaults, RFC 9106 low-memory profile), the policy.

Hashing and verifying take ~100–200 ms of CPU and 64 MiB each: they run in a small thread pool of
their own (`verify_async`, `hash_async`), never on the event loop, and at most HASH_THREADS at once so
a flood of sign-ins cannot take more than HASH_THREADS × 64 MiB.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import string
import unicodedata
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from bot.console.i18n import N_

MIN_LENGTH = 12
MAX_LENGTH = 256
# Leave a core to the event loop's thread; at most 4 (4 × 64 MiB).
HASH_THREADS = max(1, min(4, (os.cpu_count() or 2) - 1))
_hasher = PasswordHasher()  # type argon2id
_pool = ThreadPoolExecutor(max_workers=HASH_THREADS, thread_name_prefix="argon2")
# Verified against when the e-mail is unknown, so a wrong address costs as long as a wrong password.
_DUMMY = _hasher.hash(secrets.token_urlsafe(16))
# The 30,000 most common passwords of real leaks, shipped offline by the zxcvbn package (MIT licence).
COMMON = frozenset(FREQUENCY_LISTS["passwords"])
_TAIL = string.digits + string.punctuation + " "


class WeakPassword(ValueError):
    pass


def check_strength(password: str) -> None:
    """The rules that need nothing but the password (also applied to every hash made)."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(N_("the password must have at least %(n)s characters", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        raise WeakPassword(N_("the password must have at most %(n)s characters", n=MAX_LENGTH))
    if password.strip() != password:
        raise WeakPassword(N_("the password must not start or end with spaces"))


def check_policy(password: str, email: str) -> None:
    """Every rule for a password an agent chooses; the message says which one failed."""
    check_strength(password)
    folded = unicodedata.normalize("NFKC", password).casefold()
    address = email.strip().casefold()
    local = address.split("@", 1)[0]
    if address and (address in folded or (len(local) >= 3 and local in folded)):
        raise WeakPassword(N_("the password must not contain your e-mail address or its name part"))
    if len(set(folded)) < 5:
        raise WeakPassword(N_("the password must use at least 5 different characters"))
    # "qwertyuiop" and "qwertyuiop2024!" alike: a common password with digits or signs tacked on.
    bare = folded.replace(" ", "")
    if bare in COMMON or bare.rstrip(_TAIL) in COMMON or bare.lstrip(_TAIL) in COMMON:
        raise WeakPassword(N_("that password is on the list of commonly used passwords; choose another"))


def hash_password(password: str) -> str:
    check_strength(password)
    return str(_hasher.hash(password))


def verify(password_hash: str | None, password: str) -> bool:
    try:
        return bool(_hasher.verify(password_hash or _DUMMY, password)) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def verify_async(password_hash: str | None, password: str) -> bool:
    """`verify` in the hashing threads: the event loop keeps serving while argon2 works."""
    return await asyncio.get_running_loop().run_in_executor(_pool, verify, password_hash, password)


async def hash_async(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(_pool, hash_password, password)


def needs_rehash(password_hash: str) -> bool:
    return bool(_hasher.check_needs_rehash(password_hash))


def generate() -> str:
    """A one-time password: 20 characters from letters and digits (about 119 bits)."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(20))
