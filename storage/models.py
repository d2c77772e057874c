"""The schema. Every change goes through an Alembic migration (storage/migrations)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# SQLite has no 64-bit autoincrement BIGINT: map to INTEGER there so ids stay rowids.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware datetimes on both backends: stored as UTC, returned aware (SQLite drops tzinfo)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def bind_processor(self, dialect: Any) -> Any:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        # On SQLite the value becomes the text SQLAlchemy's DATETIME writes ("2026-12-02
        # 18:45:11.123456"), in one step instead of this decorator's and then DATETIME's dict
        # formatting: every hot-path row binds several datetimes (tests/test_models_datetime.py
        # keeps the two equal).
        def process(value: dt.datetime | None) -> str | None:
            if value is None:
                return None
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTCDateTime column")
            return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ", "microseconds")

        return process

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, dt.datetime: UTCDateTime}


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    gender: Mapped[str | None] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    # Health-related: only agents with a reason see it (RULES.md §6).
    treatment_history: Mapped[str | None] = mapped_column(Text)
    timezone: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str | None] = mapped_column(String(16))
    no_show_count: Mapped[int] = mapped_column(Integer, default=0)
    contract_ends_on: Mapped[dt.date | None] = mapped_column(Date)
    consent_at: Mapped[dt.datetime | None]
    anonymized_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[dt.datetime] = mapped_column(default=now_utc, onupdate=now_utc)


class ChannelIdentity(Base):
    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel", "user_id", name="uq_identity_channel_user"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(128))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    display_name: Mapped[str | None] = mapped_column(String(200))
    locale_hint: Mapped[str | None] = mapped_column(String(16))
    unreachable_at: Mapped[dt.datetime | None]
    linked_at: Mapped[dt.datetime | None]
    # When this identity agreed to the privacy summary (before any personal data was asked).
    consent_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=now_utc)


class Booking(Base):
    __tablename__ = "bookings"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    clinic: Mapped[str] = mapped_column(String(200))
    # online_consultation | consultation | treatment | surgery
    kind: Mapped[str] = mapped_column(String(32))
    service_at: Mapped[dt.datetime]
    fee_total_jpy: Mapped[int | None] = mapped_column(Integer)
    requested_at: Mapped[dt.datetime | None]
    confirmed_at: Mapped[dt.datetime | None]
    # confirmed | cancelled | completed | no_show
    status: Mapped[str] = mapped_column(String(24), default="confirmed")
    paid_at: Mapped[dt.datetime | None]
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[dt.datetime] = mapped_column(default=now_utc, onupdate=now_utc)


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("channel", "user_id", name="uq_conversation_channel_user"),
        # The console's list of every conversation: newest activity first, keyset-paged (0006c).
        Index("ix_conversation_recent", "last_event_at", "id"),
        Index("ix_conversation_locale_recent", "locale", "last_event_at", "id"),
        Index("ix_conversation_mode_recent", "mode", "last_event_at", "id"),
        Index("ix_report_conversation_created", "created_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(128))
    identity_id: Mapped[int | None] = mapped_column(ForeignKey("channel_identities.id", ondelete="SET NULL"))
    # bot | queued | agent
    mode: Mapped[str] = mapped_column(String(8), default="bot")
    stack: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=0)
    locale: Mapped[str | None] = mapped_column(String(16))
    # platform | detected | chosen: a chosen locale always wins
    locale_source: Mapped[str | None] = mapped_column(String(16))
    link_failures: Mapped[int] = mapped_column(Integer, default=0)
    link_locked_until: Mapped[dt.datetime | None]
    last_event_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[dt.datetime] = mapped_column(default=now_utc, onupdate=now_utc)


class TranscriptMessage(Base):
    __tablename__ = "transcript_messages"
    __table_args__ = (Index("ix_transcript_conversation", "conversation_id", "id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    # customer | bot | agent | system | note (internal, never sent)
    author: Mapped[str] = mapped_column(String(8))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    event_id: Mapped[str | None] = mapped_column(String(128))
    outbox_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("outbox_messages.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=now_utc)
    # Lets one flush insert an answer's outbox row and its transcript lines together.
    outbox: Mapped[OutboxMessage | None] = relationship(lazy="raise")


class InboxEvent(Base):
    __tablename__ = "inbox_events"
    __table_args__ = (UniqueConstraint("channel", "event_id", name="uq_inbox_channel_event"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(128))
    conversation_id: Mapped[int | None] = mapped_column(BigId)
    kind: Mapped[str] = mapped_column(String(24))
    received_at: Mapped[dt.datetime]
    stored_at: Mapped[dt.datetime] = mapped_column(default=now_utc)
    # LINE's markAsReadToken of a message event, and when an agent's reading marked it read.
    read_token: Mapped[str | None] = mapped_column(String(256))
    read_marked_at: Mapped[dt.datetime | None]


_UNDELIVERED = text("status IN ('pending', 'sending')")  # ix_outbox_undelivered's condition


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_conversation", "conversation_id", "id"),
        # Only the rows still to deliver (migration 0008a): "is an earlier one undelivered?"
        Index(
            "ix_outbox_undelivered",
            "conversation_id",
            "id",
            sqlite_where=_UNDELIVERED,
            postgresql_where=_UNDELIVERED,
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(128))
    # {"messages": [Rendered.to_json(), ...]}
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    parts_sent: Mapped[int] = mapped_column(Integer, default=0)
    # pending | sending | sent | dead | cancelled
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=now_utc)
    locked_until: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    # Fixed when the row is created: LINE's X-Line-Retry-Key, our own dedup for every channel.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    reply_token: Mapped[str | None] = mapped_column(String(256))
    reply_token_expires_at: Mapped[dt.datetime | None]
    # Set, durably, just before the first reply request with reply_token leaves: from then on the
    # token may have been consumed by us, and "Invalid reply token" no longer means "push instead".
    reply_attempted_at: Mapped[dt.datetime | None]
    # bot | agent | system | reminder
    source: Mapped[str] = mapped_column(String(10), default="bot")
    created_at: Mapped[dt.datetime] = mapped_column(default=now_utc)
    sent_at: Mapped[dt.datetime | None]


class Request(Base):
    """What a dialog filed for a person to confirm: cancellation, change, late notice, special, data."""

    __tablename__ = "requests"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"), index=True)
    # cancellation | change | late | special | data
    kind: Mapped[str] = mapped_column(String(16))
    # filed | confirmed | declined | closed
    status: Mapped[str] = mapped_column(String(12), default="filed")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    fee_jpy: Mapped[int | None] = mapped_column(Integer)
    # A request is filed once per dialog run, however often its button is pressed.
    dedupe_key: Mapped[str] = mapped_column(String(96), unique=True)
    requested_at: Mapped[dt.datetime]
    created_at: Mapped[dt.datetime] = mapped_column(default=now_utc)
    resolved_at: Mapped[dt.datetime | None]
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_ticket_open", "status", "priority", "created_at"),
        Index("ix_ticket_conversation", "conversation_id", "status"),
        Index("ix_ticket_claimed_by", "claimed_by", "conversation_id"),
        Index("ix_report_ticket_created", "created_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id", ondelete="SET NULL"))
    # human | cancellation | change | late | special | data | link_locked | delivery_failed | ...
    reason: Mapped[str] = mapped_column(String(32))
    # urgent | normal
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    # open | claimed | resolved
    status: Mapped[str] = mapped_column(String(10), default="open")
    summary: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    claimed_at: Mapped[dt.datetime | None]
    resolved_at: Mapped[dt.datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(default=now_utc)


class Agent(Base):
    __tablename__ = "agents"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # agent | admin
    role: Mapped[str] = mapped_column(String(8), default="agent")
    password_hash: Mapped[str] = mapped_column(String(200))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None]
    disabled_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=now_utc)
    # Set by an admin's reset (and a generated first password): only the change-password page until then.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    password_changed_at: Mapped[dt.datetime | None]
    # Encrypted with a key derived from the app secret (bot/console/totp.py); never in clear.
    totp_secret: Mapped[str | None] = mapped_column(String(300))
    # NULL while an enrolment waits for its confirming code.
    totp_enabled_at: Mapped[dt.datetime | None]
    # The last time step accepted: a code (or an older one) is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # An admin requires the second factor of this agent (admins always need it).
    totp_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # What the agent chose in the console header: online | away (offline = no live session).
    presence: Mapped[str] = mapped_column(String(8), default="online", server_default="online")
    # The languages they serve, comma-separated codes (ja,en,zh,ko,th,vi); set by admins.
    languages: Mapped[str] = mapped_column(String(64), default="", server_default="")
    # Open conversations auto-assignment gives them at most; NULL: the team's default.
    capacity: Mapped[int | None] = mapped_column(Integer)
    # Round robin: each auto-assignment takes the next turn number; the lowest eligible goes next.
    assign_turn: Mapped[int | None] = mapped_column(BigInteger)
    # The console's language for this agent (ja | en): the console is Japanese unless they choose English.
    console_locale: Mapped[str] = mapped_column(String(8), default="ja", server_default="ja")


class AgentRecoveryCode(Base):
    """One of an agent's one-time recovery codes (sha256 only), for when the authenticator is lost."""

    __tablename__ = "agent_recovery_codes"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=now_utc)
    used_at: Mapped[dt.datetime | None]


class AgentSession(Base):
    __tablename__ = "agent_sessions"
    # sha256 of the cookie value: a stolen database does not hand out live sessions.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=now_utc)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=now_utc)
    expires_at: Mapped[dt.datetime]
    # When the second factor was passed; NULL: the session waits for the code and reaches nothing else.
    verified_at: Mapped[dt.datetime | None]


class LoginAttempt(Base):
    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempt_key", "key", "at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # "ip:<address>", "pair:<sha256 of account and address>" (failures), "ok:<sha256>" (a success)
    key: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(default=now_utc)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=now_utc, index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    # "agent:<email>", "cli", "bot", "system"
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class SettingText(Base):
    """Texts admins edit: payment instructions, canned replies — per locale."""

    __tablename__ = "setting_texts"
    __table_args__ = (UniqueConstraint("key", "locale", name="uq_setting_text_key_locale"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(default=now_utc, onupdate=now_utc)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))


class Job(Base):
    """Scheduled work claimed in the database, so it runs once however many processes run."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_job_due", "status", "run_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # unique: "reminder:appointment:<booking>:<date>" — the key is what makes a job happen once
    key: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    run_at: Mapped[dt.datetime]
    # pending | running | done | failed
    status: Mapped[str] = mapped_column(String(8), default="pending")
    claimed_until: Mapped[dt.datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    last_error: Mapped[str | None] = mapped_column(String(500))
    done_at: Mapped[dt.datetime | None]


class Flag(Base):
    """Small durable key/value facts (e.g. a generated secret's presence, the demo seed marker)."""

    __tablename__ = "flags"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class WeeklyHours(Base):
    """One opening interval of a weekday (JST minutes after midnight; end <= start runs past midnight)."""

    __tablename__ = "weekly_hours"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    start_minute: Mapped[int] = mapped_column(Integer)
    end_minute: Mapped[int] = mapped_column(Integer)


class DayOverride(Base):
    """A dated exception to the weekly hours: closed all day, or a public holiday kept open."""

    __tablename__ = "day_overrides"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    is_open: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(default=now_utc)


class LinkFailure(Base):
    """One wrong identity check, counted against the booking reference tried and against its source.

    `key_hash` is a keyed hash (HMAC-SHA256 with the app secret) of the normalized reference or of the
    source (web chat client address, LINE or Telegram user): what is counted, never the value itself.
    References that do not exist are counted the same, so counting reveals nothing.
    """

    __tablename__ = "link_failures"
    __table_args__ = (Index("ix_link_failure_key", "kind", "key_hash", "at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # reference | source
    kind: Mapped[str] = mapped_column(String(10))
    key_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime]


class LinkLock(Base):
    """Linking paused for one reference or one source, everywhere, until `locked_until`.

    One row per key, reused by the next lock: taking it is a conditional write, so concurrent failures
    open one lock and one ticket. `booking_id` (the booking the reference names, if any) and
    `conversation_id` are for the agents only; the customer is never told.
    """

    __tablename__ = "link_locks"
    __table_args__ = (UniqueConstraint("kind", "key_hash", name="uq_link_lock_key"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    key_hash: Mapped[str] = mapped_column(String(64))
    locked_until: Mapped[dt.datetime]
    locked_at: Mapped[dt.datetime]
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id", ondelete="SET NULL"))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    lifted_at: Mapped[dt.datetime | None]
    lifted_by: Mapped[str | None] = mapped_column(String(300))


class Attachment(Base):
    """A photo, video, voice message, document or location a customer sent, or a file an agent sent.

    The row exists from the moment the event is stored (status `pending`); the content is fetched
    afterwards by a job (bot.attachments.fetch) and lands in `attachment_contents`. `token` is the
    random, unguessable name the console serves it under; `kind` and `mime` come from the content,
    never from the file name.
    """

    __tablename__ = "attachments"
    __table_args__ = (
        Index("ix_attachment_conversation", "conversation_id", "id"),
        Index("ix_attachment_customer_day", "customer_id", "created_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token: Mapped[str] = mapped_column(String(48), unique=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    # in (from the customer) | out (from an agent)
    direction: Mapped[str] = mapped_column(String(3))
    channel: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str | None] = mapped_column(String(128))
    # An agent's file: the outbox row that sends it.
    outbox_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("outbox_messages.id", ondelete="SET NULL")
    )
    # image | video | audio | file | location
    kind: Mapped[str] = mapped_column(String(8))
    # Where to fetch it: "line:<message id>", "url:<https url>", "telegram:<file id>"; None once fetched.
    source: Mapped[str | None] = mapped_column(String(1000))
    mime: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(BigInteger)
    original_name: Mapped[str | None] = mapped_column(String(255))
    # Locations: coordinates and what the platform says about the place.
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    place: Mapped[str | None] = mapped_column(String(500))
    # pending | fetched | failed | refused
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[dt.datetime | None]
    # A short reason (no customer data): "too large", "type not accepted", "ConnectionError", ...
    error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=now_utc)
    fetched_at: Mapped[dt.datetime | None]


class AttachmentContent(Base):
    """The bytes of an attachment (`full`: images re-encoded without metadata) and its thumbnail, kept
    here or, with bucket storage configured, in the bucket under `bucket_key`."""

    __tablename__ = "attachment_contents"
    __table_args__ = (UniqueConstraint("attachment_id", "role", name="uq_attachment_content_role"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachments.id", ondelete="CASCADE"))
    # full | thumb
    role: Mapped[str] = mapped_column(String(5))
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    # The bytes, or (bucket storage) None and the object's key in the bucket.
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    bucket_key: Mapped[str | None] = mapped_column(String(300))


class Label(Base):
    """An admin-managed label for conversations; `colour` is a key of a fixed palette (CSS classes)."""

    __tablename__ = "labels"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    colour: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(default=now_utc)


class ConversationLabel(Base):
    __tablename__ = "conversation_labels"
    __table_args__ = (Index("ix_conversation_label_label", "label_id", "conversation_id"),)
    conversation_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    label_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("labels.id", ondelete="CASCADE"), primary_key=True
    )
    added_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    added_at: Mapped[dt.datetime] = mapped_column(default=now_utc)


class CustomerNote(Base):
    """An agent's note on the customer (internal, never sent), beside the notes in a conversation."""

    __tablename__ = "customer_notes"
    __table_args__ = (Index("ix_customer_note_customer", "customer_id", "id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=now_utc)


class LineRichMenu(Base):
    """The LINE rich menu made for each language by `counselbot line rich-menu sync`."""

    __tablename__ = "line_rich_menus"
    locale: Mapped[str] = mapped_column(String(16), primary_key=True)
    rich_menu_id: Mapped[str] = mapped_column(String(64))
    # The content hash in the menu's name: a sync that finds it changes nothing.
    digest: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[dt.datetime] = mapped_column(default=now_utc)


class LineMenuLink(Base):
    """Which rich menu a LINE user was last linked to (so a language change relinks once)."""

    __tablename__ = "line_menu_links"
    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    rich_menu_id: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(16))
    linked_at: Mapped[dt.datetime]


class ConversationRead(Base):
    """How far an agent has read a conversation: the last customer transcript line seen ("seen")."""

    __tablename__ = "conversation_reads"
    conversation_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    transcript_id: Mapped[int] = mapped_column(BigId)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    read_at: Mapped[dt.datetime]


class CsatSurvey(Base):
    """The satisfaction question of one resolved ticket (bot.dialogs.csat), and its answer."""

    __tablename__ = "csat_surveys"
    __table_args__ = (
        UniqueConstraint("ticket_id", name="uq_csat_ticket"),
        Index("ix_csat_identity_asked", "identity_id", "asked_at"),
        Index("ix_csat_customer_asked", "customer_id", "asked_at"),
        Index("ix_csat_asked", "asked_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    identity_id: Mapped[int | None] = mapped_column(ForeignKey("channel_identities.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    # The agent who held and resolved the ticket.
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    asked_at: Mapped[dt.datetime]
    rating: Mapped[int | None] = mapped_column(Integer)
    rated_at: Mapped[dt.datetime | None]
    # Customer text: shown to agents as inert text only.
    comment: Mapped[str | None] = mapped_column(Text)
    commented_at: Mapped[dt.datetime | None]
