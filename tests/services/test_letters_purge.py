"""A purged leaver's emails to parents and collection appointments go with their record:
they hold the parents' names and addresses."""

from __future__ import annotations

import datetime as dt

from fixtures.reports import *  # noqa: F403 (the reports tests' fixtures)
from fixtures.reports import NOW
from sqlalchemy import func, select

from kiosk.services import retention
from kiosk.tables import CollectionAppointment, Custody, ParentMessage


def test_a_purge_removes_the_leavers_emails_and_appointments(history, sessions):
    with sessions.begin() as session:
        for pupil in (history.leaver, history.recent_leaver):
            custody = session.scalars(select(Custody).where(Custody.pupil_id == pupil)).first()
            if custody is None:
                continue
            session.add(
                ParentMessage(
                    custody_id=custody.id,
                    kind="letter",
                    recipient_name="Mrs Leaver",
                    recipient_email="mrs.leaver@example.org",
                    attempted_at=custody.received_at,
                    outcome="sent",
                )
            )
            session.add(
                CollectionAppointment(
                    custody_id=custody.id,
                    on_date=custody.received_at.date() + dt.timedelta(days=1),
                    at_time=dt.time(16, 0),
                    who="Mrs Leaver",
                    recorded_at=custody.received_at,
                )
            )
    retention.purge(sessions, history.school.actors["admin"], now=NOW)
    with sessions() as session:
        left = select(Custody.pupil_id).join(ParentMessage, ParentMessage.custody_id == Custody.id)
        kept = set(session.scalars(left))
        assert history.leaver not in kept
        appointments = session.scalar(
            select(func.count())
            .select_from(CollectionAppointment)
            .join(Custody, Custody.id == CollectionAppointment.custody_id)
            .where(Custody.pupil_id == history.leaver)
        )
        assert appointments == 0
    assert kept <= {history.recent_leaver}
