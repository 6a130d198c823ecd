"""The in-app inbox: notices to an organisation (a match, a request, a review), each with a link.

Each notice is also e-mailed to the organisation's users after commit (market.core.mail).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, func, select
from sqlalchemy.orm import Mapped, mapped_column

from market.core import mail
from market.core.db import Base, utcnow
from market.core.extensions import db


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    title_zh: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    body_zh: Mapped[str] = mapped_column(Text, default="")
    body_en: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(300), default="")
    # Lets a job that runs twice notify once.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[datetime | None]


def notify(organisation_id: int, kind: str, title: tuple[str, str], *, body: tuple[str, str] = ("", ""),
           link: str = "", dedupe_key: str | None = None) -> Notification | None:
    """Add a notice unless one with the same dedupe key exists; never commits."""
    if dedupe_key and db.session.scalar(select(Notification.id).where(Notification.dedupe_key == dedupe_key)):
        return None
    note = Notification(organisation_id=organisation_id, kind=kind, title_zh=title[0], title_en=title[1],
                        body_zh=body[0], body_en=body[1], link=link, dedupe_key=dedupe_key)
    db.session.add(note)
    mail.queue(db.session, note)
    return note


def unread_count(organisation_id: int) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.organisation_id == organisation_id, Notification.read_at.is_(None))) or 0
