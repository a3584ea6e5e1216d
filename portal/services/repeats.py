"""Repeated and duplicate appeals (Instruction, CMU 348/1997) and the Art. 8 proposal.

The same applicant (normalised name plus the same phone, e-mail or address) on the same
question (the topic's section, not only the exact subtopic):

- **повторне** (repeated) when the earlier appeal was already answered — and when that answer
  was on the merits, the new one is proposed as not considered under Art. 8;
- **дублетне** (duplicate) when the earlier one is still under consideration — it is joined
  to it: the same term, the same executors, one answer.

An УКЦ (1545) number registered before always warns and links, whoever wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models.appeals import Appeal, Applicant, Assignment
from portal.models.base import utcnow
from portal.models.enums import OPEN_STATUSES, AppealStatus, AppealSubject, ReceiptSign
from portal.models.reference import ResultCode, Topic
from portal.services import normalise as reg
from portal.services.normalise import is_placeholder, normalise_address

REPEAT_WINDOW_DAYS = 365
# an earlier appeal that was not taken up does not make a later one a repeat
NOT_TAKEN_UP = (AppealStatus.CANCELLED, AppealStatus.RETURNED_TO_APPLICANT)
# closing codes that are no answer on the merits (forwarded elsewhere)
NOT_ON_THE_MERITS = frozenset({"forwarded"})


@dataclass
class Match:
    """What registration found: the earlier appeal and the sign that follows from it."""

    earlier: Appeal
    sign: ReceiptSign  # REPEATED or DUPLICATE


def same_person(a: Applicant, b: Applicant) -> bool:
    """The same record, or the same normalised name with the same phone, e-mail or address."""
    if a is b or (a.id is not None and a.id == b.id):
        return True
    if not reg.normalise_name(a.full_name) or reg.normalise_name(a.full_name) != reg.normalise_name(b.full_name):
        return False
    a_phones = {reg.phone_digits(p) for p in (a.phone, a.phone2) if reg.phone_digits(p)}
    b_phones = {reg.phone_digits(p) for p in (b.phone, b.phone2) if reg.phone_digits(p)}
    if a_phones & b_phones:
        return True
    if reg.normalise_email(a.email) and reg.normalise_email(a.email) == reg.normalise_email(b.email):
        return True
    address = normalise_address(a.address)
    return bool(address) and not is_placeholder(a.address) and address == normalise_address(b.address)


def section_id(topic: Topic | None) -> int | None:
    """The topic's section: its parent in the two-level classifier, or itself when it is a section."""
    if topic is None:
        return None
    return topic.parent_id or topic.id


def _section_topics(section: int):
    return sa.select(Topic.id).where(sa.or_(Topic.id == section, Topic.parent_id == section))


def find_earlier(appeal: Appeal) -> Match | None:
    """The latest earlier appeal of the same applicant on the same question within a year."""
    applicant = appeal.applicant
    topic = appeal.topic or (db.session.get(Topic, appeal.topic_id) if appeal.topic_id else None)
    section = section_id(topic)
    if applicant is None or section is None:
        return None
    registered_at = appeal.registered_at or utcnow()
    who = []
    if applicant.id is not None:
        who.append(Applicant.id == applicant.id)
    if reg.name_variants(applicant.full_name):
        who.append(Applicant.full_name.in_(reg.name_variants(applicant.full_name)))
    if not who:
        return None
    query = (
        sa.select(Appeal)
        .where(
            Appeal.topic_id.in_(_section_topics(section)),
            Appeal.registered_at >= registered_at - timedelta(days=REPEAT_WINDOW_DAYS),
            Appeal.registered_at <= registered_at,
            Appeal.applicant_id.in_(sa.select(Applicant.id).where(sa.or_(*who))),
            Appeal.status.not_in([s.value for s in NOT_TAKEN_UP]),
        )
        .order_by(Appeal.registered_at.desc(), Appeal.id.desc())
        .limit(50)
    )
    if appeal.id is not None:
        query = query.where(Appeal.id != appeal.id)
    with db.session.no_autoflush:
        for earlier in db.session.execute(query).scalars():
            if earlier.applicant is not None and same_person(applicant, earlier.applicant):
                open_ = AppealStatus(earlier.status) in OPEN_STATUSES
                return Match(earlier, ReceiptSign.DUPLICATE if open_ else ReceiptSign.REPEATED)
    return None


def registered_ukc_number(appeal: Appeal) -> Appeal | None:
    """An earlier appeal with the same УКЦ (1545) number, if any."""
    number = (appeal.ukc_number or "").strip()
    if not number:
        return None
    query = sa.select(Appeal).where(Appeal.ukc_number == number).order_by(Appeal.id).limit(1)
    if appeal.id is not None:
        query = query.where(Appeal.id != appeal.id)
    with db.session.no_autoflush:
        return db.session.execute(query).scalar_one_or_none()


def answered_on_the_merits(appeal: Appeal) -> bool:
    """Was an answer on the merits given (sent, or closed with a result other than forwarding)?"""
    status = AppealStatus(appeal.status)
    if status == AppealStatus.NOT_CONSIDERED:
        return False
    if status == AppealStatus.CLOSED:
        code = appeal.result_code or (
            db.session.get(ResultCode, appeal.result_code_id) if appeal.result_code_id else None
        )
        return code is None or code.code not in NOT_ON_THE_MERITS
    return appeal.sent_at is not None


def art8_proposal(appeal: Appeal):
    """The Art. 8 ground proposed for "not considered", as a translatable text (None: none)."""
    if AppealSubject(appeal.subject or AppealSubject.INDIVIDUAL) == AppealSubject.ANONYMOUS:
        return _l("An anonymous appeal is not considered (Art. 8).")
    earlier = appeal.repeat_of
    if appeal.sign == ReceiptSign.REPEATED and earlier is not None and answered_on_the_merits(earlier):
        return _l(
            "A repeated appeal on a question already answered on the merits (%(number)s) is not considered (Art. 8).",
            number=earlier.reg_number,
        )
    return None


def join(appeal: Appeal, earlier: Appeal) -> None:
    """Join a duplicate to the appeal under consideration: same term, signer and executors."""
    appeal.repeat_of = earlier
    appeal.sign = ReceiptSign.DUPLICATE
    appeal.term_days = earlier.term_days
    appeal.due_date = earlier.due_date
    appeal.signer_id = appeal.signer_id or earlier.signer_id
    appeal.main_executor_id = earlier.main_executor_id
    for assignment in list(earlier.assignments):
        appeal.assignments.append(
            Assignment(
                executor_id=assignment.executor_id,
                position=assignment.position,
                executor_role=assignment.executor_role,
                due_date=assignment.due_date,
            )
        )


def apply(appeal: Appeal) -> Match | None:
    """At registration: link the appeal to an earlier one of the same person and question."""
    if appeal.repeat_of is not None or appeal.repeat_of_id is not None:
        return None
    match = find_earlier(appeal)
    if match is None:
        return None
    if match.sign == ReceiptSign.DUPLICATE:
        join(appeal, match.earlier)
    else:
        appeal.repeat_of = match.earlier
        if appeal.sign in (None, ReceiptSign.PRIMARY):
            appeal.sign = ReceiptSign.REPEATED
    return match
