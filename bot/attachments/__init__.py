"""Photos, videos, voice messages, documents and locations, both ways (docs/attachments.md).

In: a channel parses the message into an AttachmentIn; the engine records a pending row (and the
job that fetches it) in the event's own transaction (`inbound.record`); the job (`fetch`) downloads
the content with retries, checks its type from the bytes and the limits, strips image metadata and
makes a thumbnail. The console serves it to signed-in agents only (bot.console.attachments).
"""
