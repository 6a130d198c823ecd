"""E-mail copies of in-app notices: the outbox handler that sends each to its organisation's users."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from market.accounts.models import User
from market.core import mail
from market.core.extensions import db
from market.core.mail import TOPIC, MailSettings, Outgoing, transport_for
from market.core.notifications import Notification
from market.core.outbox import PermanentError, handles


@handles(TOPIC)
def send_notification_mail(keys: list[str], bulk: bool) -> None:
    """E-mail each notice to every active user of its organisation."""
    notes = db.session.scalars(select(Notification).where(Notification.id.in_([int(k) for k in keys]))
                               .order_by(Notification.id)).all()
    if not notes:
        return
    users: dict[int, list[User]] = {}
    for user in db.session.scalars(select(User).where(
            User.organisation_id.in_({n.organisation_id for n in notes}), User.active.is_(True))
            .order_by(User.id)):
        if user.email:
            users.setdefault(user.organisation_id, []).append(user)
    settings = MailSettings.from_app(current_app)
    outgoing, bad = [], {}
    for note in notes:
        for user in users.get(note.organisation_id, []):
            try:
                outgoing.append(Outgoing(note.id, user.id, mail.compose(note, user, settings)))
            except (ValueError, TypeError, LookupError) as err:  # data no message can be made of
                bad[str(note.id)] = f"notice {note.id} to user {user.id}: {type(err).__name__}: {err}"
    if outgoing:
        for item, reason in transport_for(settings).send(outgoing):
            bad.setdefault(str(item.notification_id), f"notice {item.notification_id} to user {item.user_id}: {reason}")
    if bad:
        # Every other notice went out: only these are parked, with their reasons, and nothing waits on them.
        raise PermanentError("; ".join(bad.values()), keys=list(bad))
