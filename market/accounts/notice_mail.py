"""E-mail copies of in-app notices: the outbox handler that sends each to its organisation's users."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from market.accounts.models import User
from market.core.extensions import db
from market.core.mail import TOPIC, MailSettings, Outgoing, compose, transport_for
from market.core.notifications import Notification
from market.core.outbox import handles


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
    outgoing = [Outgoing(note.id, user.id, compose(note, user, settings))
                for note in notes for user in users.get(note.organisation_id, [])]
    if outgoing:
        transport_for(settings).send(outgoing)
