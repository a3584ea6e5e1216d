"""Registration of an incoming appeal: index, due date, Art. 5 completeness, repeat detection.

Registration index (Instruction on record keeping for citizens' appeals, CMU 348/1997):
the initial letter of the applicant's surname, the sequence number within the year and the
year — ``П-000125/26``; collective appeals carry ``КО`` and anonymous ones ``БП`` instead of
the letter (``КО-000126/26``, ``БП-000127/26``). One sequence per year serves every prefix,
so the number alone identifies the appeal within its year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.i18n import format_date, to_kyiv
from portal.models.appeals import Appeal, Applicant, RegistrationCounter, StatusChange
from portal.models.base import utcnow
from portal.models.enums import AppealStatus, AppealSubject, Channel, ReceiptSign
from portal.models.reference import Topic
from portal.services import deadlines, repeats, search
from portal.services.errors import DomainError
from portal.services.normalise import (  # noqa: F401  (the names stay importable from here)
    _SPACES,
    is_placeholder,
    name_variants,
    normalise_email,
    normalise_name,
    normalise_phone,
    phone_digits,
    phone_variants,
)
from portal.services.scope import scope_appeals

SUBJECT_PREFIX = {AppealSubject.COLLECTIVE: "КО", AppealSubject.ANONYMOUS: "БП"}
FALLBACK_PREFIX = "Ч"  # an individual applicant whose surname starts with no letter

# Art. 5: oral appeals are recorded by the official; written ones need a signature and a date;
# electronic ones need an e-mail address. Post includes e-mail, so either one satisfies it.
WRITTEN_CHANNELS = frozenset({Channel.AUTHORISED, Channel.MEDIA, Channel.OTHER_BODY})
ELECTRONIC_CHANNELS = frozenset({Channel.WEB, Channel.API})


@dataclass
class Registration:
    """The outcome of registering: what the clerk must act on next."""

    appeal: Appeal
    missing: list[str] = field(default_factory=list)  # keys of Art. 5 items lacking (MISSING_LABELS)
    repeat_of: Appeal | None = None  # proposed link to an earlier appeal (sign set to repeated)
    not_considered_reason: object = None  # Art. 8 ground proposed at registration (anonymous, repeated)
    same_ukc_number: Appeal | None = None  # an earlier appeal with the same УКЦ (1545) number


# --- receipt ------------------------------------------------------------------------------


def check_received_at(received_at: datetime, *, registered_at: datetime, ukc_date=None) -> datetime:
    """The moment of receipt, refused when it is in the future or before the УКЦ date."""
    if received_at.tzinfo is None:
        raise DomainError(_l("State the time zone of the receipt moment."), field="received_at")
    if received_at > max(registered_at, utcnow()) + timedelta(minutes=1):
        raise DomainError(_l("The moment of receipt cannot be in the future."), field="received_at")
    if ukc_date is not None and to_kyiv(received_at).date() < ukc_date:
        raise DomainError(
            _l("The appeal cannot be received before its GCC (1545) date (%(date)s).", date=format_date(ukc_date)),
            field="received_at",
        )
    return received_at


# --- registration number -----------------------------------------------------------------


def registration_prefix(appeal: Appeal) -> str:
    """КО for collective, БП for anonymous, else the initial of the applicant's surname."""
    subject = AppealSubject(appeal.subject or AppealSubject.INDIVIDUAL)
    if subject in SUBJECT_PREFIX:
        return SUBJECT_PREFIX[subject]
    name = (appeal.applicant.full_name if appeal.applicant else "") or ""
    letter = next((ch for ch in name if ch.isalpha()), "")
    return letter.upper() if letter else FALLBACK_PREFIX


def format_reg_number(prefix: str, seq: int, year: int) -> str:
    return f"{prefix}-{seq:06d}/{year % 100:02d}"


def _insert_counter_if_missing(table: sa.Table, year: int) -> None:
    # a concurrent registration may create the year's row first: do nothing then
    dialect = db.session.get_bind().dialect.name
    from sqlalchemy.dialects import postgresql, sqlite

    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table).values(year=year, last_number=0).on_conflict_do_nothing(index_elements=["year"])
    db.session.execute(stmt)


def take_number(counter, year: int) -> int:
    """Take the next number of ``year`` from ``counter`` (a per-year counter model) in one atomic ``UPDATE … RETURNING``.

    The statement increments and reads in one step on SQLite and PostgreSQL alike (a
    ``SELECT … FOR UPDATE`` then an increment would hand two SQLite writers the same number),
    and it holds the counter's row until the transaction ends, so numbers are not skipped.
    """
    table = cast(sa.Table, counter.__table__)
    bump = (
        sa.update(table)
        .where(table.c.year == year)
        .values(last_number=table.c.last_number + 1)
        .returning(table.c.last_number)
    )
    with db.session.no_autoflush:
        number = db.session.execute(bump).scalar_one_or_none()
        if number is None:
            _insert_counter_if_missing(table, year)
            number = db.session.execute(bump).scalar_one()
    return number


def next_sequence(year: int) -> int:
    """The next registration number of ``year`` (see :func:`take_number`)."""
    return take_number(RegistrationCounter, year)


# --- Art. 5 completeness -------------------------------------------------------------------

MISSING_LABELS = {
    "name": _l("surname, name and patronymic"),
    "address": _l("place of residence"),
    "substance": _l("the substance of the appeal"),
    "email": _l("e-mail address (electronic appeal)"),
    "signature": _l("signature and date (written appeal)"),
    "signature_or_email": _l("signature and date, or an e-mail address for an e-mail"),
}


def completeness_problems(appeal: Appeal) -> list[str]:
    """Keys of what Art. 5 requires and the appeal lacks (empty when complete); see MISSING_LABELS.

    Anonymous appeals are not checked here: they are not considered at all (Art. 8).
    """
    subject = AppealSubject(appeal.subject or AppealSubject.INDIVIDUAL)
    if subject == AppealSubject.ANONYMOUS:
        return []
    applicant = appeal.applicant
    missing = []
    name = (applicant.full_name if applicant else "") or ""
    words = [w for w in _SPACES.split(name.strip()) if w]
    if not words or (subject == AppealSubject.INDIVIDUAL and len(words) < 3):
        missing.append("name")
    if not applicant or is_placeholder(applicant.address):
        missing.append("address")
    if not ((appeal.summary or "").strip() or (appeal.content or "").strip()):
        missing.append("substance")
    channel = Channel(appeal.channel) if appeal.channel else None
    has_email = bool(applicant and "@" in normalise_email(applicant.email))
    if channel in ELECTRONIC_CHANNELS and not has_email:
        missing.append("email")
    if channel in WRITTEN_CHANNELS and not appeal.signed_by_applicant:
        missing.append("signature")
    if channel == Channel.POST and not appeal.signed_by_applicant and not has_email:
        missing.append("signature_or_email")
    return missing


def describe_missing(keys) -> list:
    """The translatable labels of missing Art. 5 items."""
    return [MISSING_LABELS[k] for k in keys]


def not_considered_reason(appeal: Appeal):
    """An Art. 8 ground visible at registration, as a translatable text (the decision is the clerk's)."""
    return repeats.art8_proposal(appeal)


# --- repeat detection ------------------------------------------------------------------------


# Repeated and duplicate appeals are found by ``portal.services.repeats``.


# --- derived fields ---------------------------------------------------------------------------


def refresh_derived(appeal: Appeal) -> None:
    """Direction from the topic, the privileged flag from the applicant's category."""
    topic = appeal.topic
    appeal.direction_id = topic.direction_id if topic is not None else None
    applicant = appeal.applicant
    appeal.is_privileged = bool(
        applicant is not None and (applicant.privilege_category_id or applicant.privilege_category)
    )


def new_applicant(
    *, full_name: str, address: str = "", phone: str = "", phone2: str = "", email: str = "", **extra
) -> Applicant:
    """An applicant as typed at registration, with phones in one canonical form for matching."""
    return Applicant(
        full_name=_SPACES.sub(" ", full_name or "").strip(),
        address=(address or "").strip(),
        phone=normalise_phone(phone),
        phone2=normalise_phone(phone2),
        email=(email or "").strip(),
        **extra,
    )


def register_appeal(
    appeal: Appeal | None = None,
    *,
    user=None,
    needs_study: bool = True,
    requested_term_days: int | None = None,
    registered_at: datetime | None = None,
    received_at: datetime | None = None,
    **fields,
) -> Registration:
    """Register an appeal: number, due date, derived flags, repeat link, first StatusChange.

    ``appeal`` may be an unsaved Appeal (the admin form builds one); otherwise one is built
    from ``fields``. The caller commits. Missing Art. 5 items are returned, never dropped:
    the clerk returns such an appeal to the applicant with the explanation.
    """
    if appeal is None:
        appeal = Appeal(**fields)
    elif fields:
        for key, value in fields.items():
            setattr(appeal, key, value)
    with db.session.no_autoflush:
        appeal.registered_at = registered_at or appeal.registered_at or utcnow()
        appeal.received_at = check_received_at(
            received_at or appeal.received_at or appeal.registered_at,
            registered_at=appeal.registered_at,
            ukc_date=appeal.ukc_date,
        )
        appeal.subject = appeal.subject or AppealSubject.INDIVIDUAL
        appeal.sign = appeal.sign or ReceiptSign.PRIMARY
        appeal.status = AppealStatus.REGISTERED
        appeal.summary = (appeal.summary or "").strip()
        appeal.content = appeal.content or ""
        if appeal.signed_by_applicant is None:
            appeal.signed_by_applicant = True
        if user is not None and getattr(user, "id", None) is not None:
            appeal.created_by_id = user.id
        refresh_derived(appeal)

        appeal.term_days = deadlines.term_days(needs_study=needs_study, requested_days=requested_term_days)
        appeal.due_date = deadlines.due_date(deadlines.received_at(appeal), appeal.term_days)

        year = to_kyiv(appeal.registered_at).year
        appeal.reg_seq = next_sequence(year)
        appeal.reg_number = format_reg_number(registration_prefix(appeal), appeal.reg_seq, year)

        match = repeats.apply(appeal)  # repeated (linked) or duplicate (joined: same term and executors)
        repeat = match.earlier if match is not None else None
        same_ukc = repeats.registered_ukc_number(appeal)

        appeal.transitions.append(
            StatusChange(
                from_status=None,
                to_status=AppealStatus.REGISTERED,
                at=utcnow(),
                user_id=getattr(user, "id", None),
                comment="",
            )
        )
    db.session.add(appeal)
    return Registration(
        appeal=appeal,
        missing=completeness_problems(appeal),
        repeat_of=repeat,
        not_considered_reason=not_considered_reason(appeal),
        same_ukc_number=same_ukc,
    )


# --- finding an appeal by its numbers (list search) ----------------------------------------------

_REG_RE = re.compile(r"^([^\W\d_]{1,2})\s*-?\s*0*(\d{1,9})(?:\s*/\s*(\d{2}))?$")
_NAME_RE = re.compile(r"[^\W\d_]", re.UNICODE)


def prefix_range(column, prefix: str):
    """``column`` starts with ``prefix``, as a range that a B-tree index serves on any backend."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return sa.and_(column >= prefix, column < upper)


def search_clause(text: str):
    """WHERE for the appeals list search, built only from indexed comparisons.

    Matches the registration index (full, ``П-125``, ``П-125/26`` or just ``125``), the
    GCC (1545) and regional-center numbers exactly, and through the full-text index
    (``portal.services.search``) any word of the applicant's name, address, summary or
    content, the applicant's phone in any format and the e-mail.
    """
    term = _SPACES.sub(" ", (text or "").strip())
    if not term:
        return sa.true()
    clauses = [Appeal.reg_number == term, Appeal.ukc_number == term, Appeal.regional_number == term]
    fulltext = None
    if term.isdigit() and len(term) <= 9:
        clauses.append(Appeal.reg_seq == int(term))
    match = _REG_RE.match(term)
    if match:
        prefix, seq, yy = match.group(1).upper(), int(match.group(2)), match.group(3)
        if yy:
            clauses.append(Appeal.reg_number == f"{prefix}-{seq:06d}/{yy}")
        else:
            clauses.append(sa.and_(Appeal.reg_seq == seq, Appeal.reg_number.startswith(f"{prefix}-")))
    if len(_NAME_RE.findall(term)) >= 2 or len(re.sub(r"\D", "", term)) >= 9 or "@" in term:
        fulltext = search.matching_ids(term, db.session.get_bind().dialect.name)
    # a UNION of index lookups: an OR beside the full-text subquery would make PostgreSQL scan the table
    selects = [sa.select(Appeal.id).where(clause) for clause in clauses]
    if fulltext is not None:
        selects.append(fulltext)
    return Appeal.id.in_(sa.union(*selects))


# --- pickers on the registration form ------------------------------------------------------------


def find_applicants(term: str, *, offset: int = 0, limit: int = 10) -> list[Applicant]:
    """Known applicants by the beginning of the name, a phone or an e-mail (index-served lookups)."""
    term = (term or "").strip()
    who = [prefix_range(Applicant.full_name, v) for v in name_variants(term)]
    if any(ch.isdigit() for ch in term):
        who.append(Applicant.phone.in_(phone_variants(term)))
    if "@" in term:
        who.append(Applicant.email.in_({term, normalise_email(term)}))
    if not who:
        return []
    query = sa.select(Applicant).where(sa.or_(*who)).order_by(Applicant.full_name, Applicant.id)
    return list(db.session.execute(query.offset(offset).limit(limit)).scalars())


def find_topics(term: str, *, offset: int = 0, limit: int = 10) -> list[Topic]:
    """Topics of the classifier by the beginning of the code or a word of the name."""
    term = (term or "").strip()
    query = sa.select(Topic).order_by(Topic.code)
    if term:
        query = query.where(
            sa.or_(Topic.code.startswith(term), Topic.name.contains(term), Topic.name.contains(term.capitalize()))
        )
    return list(db.session.execute(query.offset(offset).limit(limit)).scalars())


def find_appeals(term: str, user, *, offset: int = 0, limit: int = 10) -> list[Appeal]:
    """Appeals the user may see matching the list search (an earlier appeal to link), newest first."""
    if not (term or "").strip():
        return []
    query = scope_appeals(
        sa.select(Appeal).where(search_clause(term)).order_by(Appeal.registered_at.desc(), Appeal.id.desc()), user
    )
    return list(db.session.execute(query.offset(offset).limit(limit)).scalars())
