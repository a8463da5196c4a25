"""The email responder: customers who write to support get a diagnosis by return mail.

Mail comes in over SMTP (`smtp.SmtpListener`) or IMAP (`imap.ImapFetcher`), is made
durable in a Maildir spool (`spool.Spool`) before it is acknowledged, then taken in order
by `processor.SpoolProcessor`, which hands it to `responder.EmailResponder`: parse, thread,
loop rules, rate limits, the engine, and an answer through the outbox, all recorded on one
ticket. `setup.email_channel` runs it; the composition root (helpdesk.app) builds it.
"""

from helpdesk.email.responder import EmailResponder, Handled, RateLimits
from helpdesk.email.setup import EmailChannel, email_channel
from helpdesk.email.threads import MessageIds

__all__ = [
    "EmailChannel",
    "EmailResponder",
    "Handled",
    "MessageIds",
    "RateLimits",
    "email_channel",
]
