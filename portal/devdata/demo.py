"""Demo data: a regional contact center serving a city council, with a few months of appeals.

``seed_demo`` fills an empty database (reference data loaded) with the center's structural
units, staff list, employees and their orders, the council's executor bodies, this year's
budget estimate, one user per role and a few hundred appeals in every workflow state. Rows
are created through the ORM inside ``audit.acting_as(DEMO_ACTOR)``, so the audit log shows
them as the work of "seed-demo". The same seed gives the same data (relative to today).

The name, address and text catalogues (``portal.devdata.catalogues``) are shared with ``portal.devdata.generate``.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.devdata.catalogues import catalogue
from portal.extensions import db
from portal.i18n import KYIV
from portal.models.appeals import (
    Answer,
    Appeal,
    AppealIssue,
    Applicant,
    Assignment,
    Attachment,
    FeedbackProof,
    RegistrationCounter,
    Resolution,
    StatusChange,
    TermExtension,
)
from portal.models.budget import MONTH_COLUMNS, BudgetEstimate, BudgetLine, Expenditure
from portal.models.enums import (
    AnswerKind,
    AppealStatus,
    AppealSubject,
    AppealType,
    AssignmentStatus,
    AttachmentKind,
    Channel,
    DeliveryStatus,
    DocumentState,
    ExecutorKind,
    ExecutorRole,
    FeedbackMethod,
    Fund,
    OrderType,
    ReceiptSign,
    Role,
    Sex,
)
from portal.models.org import Employee, Executor, ExecutorContact, Order, StaffPosition, StructuralUnit
from portal.models.reference import Direction, Kekv, PrivilegeCategory, ResultCode, SocialStatus, Topic
from portal.models.users import User
from portal.services import audit, deadlines, registration
from portal.services import reference_data as ref
from portal.services.errors import DomainError

DEMO_ACTOR = audit.Actor(None, "seed-demo", "", "")
# One password for every demo account: ≥ 10 characters, letters and digits, no user name in it.
DEMO_PASSWORD = "Demo-Portal-2026"
DEFAULT_SEED = 2026
DEFAULT_APPEALS = 300
DEMO_DAYS = 120  # appeals are registered over the last four months
CITY = "м. Дніпро"

# --- people and places -------------------------------------------------------------------


def person(rng: random.Random) -> tuple[str, Sex]:
    """A realistic Ukrainian full name (прізвище ім'я по батькові) and its sex."""
    surname = rng.choice(catalogue("surnames"))
    father = rng.choice(catalogue("male_names"))
    if rng.random() < 0.5:
        first = rng.choice(catalogue("male_names"))[0]
        return f"{surname[0]} {first} {father[1]}", Sex.MALE
    return f"{surname[1]} {rng.choice(catalogue('female_names'))} {father[2]}", Sex.FEMALE


def street_address(rng: random.Random) -> tuple[str, str]:
    """(street, "street, буд. N") of the city."""
    street = rng.choice(catalogue("streets"))
    house = rng.randint(1, 160)
    letter = rng.choice(["", "", "", "", "А", "Б"])
    return street, f"{street}, буд. {house}{letter}"


def home_address(rng: random.Random) -> str:
    _, house = street_address(rng)
    if rng.random() < 0.8:
        return f"{CITY}, {house}, кв. {rng.randint(1, 220)}"
    return f"{CITY}, {house}"


def mobile_phone(rng: random.Random) -> str:
    return f"+38{rng.choice(catalogue('mobile_codes'))}{rng.randint(0, 9_999_999):07d}"


def city_phone(rng: random.Random) -> str:
    n = rng.randint(0, 9_999_999)
    return f"+38056{n:07d}"


_TRANSLIT = str.maketrans(
    {
        "а": "a",
        "б": "b",
        "в": "v",
        "г": "h",
        "ґ": "g",
        "д": "d",
        "е": "e",
        "є": "ie",
        "ж": "zh",
        "з": "z",
        "и": "y",
        "і": "i",
        "ї": "i",
        "й": "i",
        "к": "k",
        "л": "l",
        "м": "m",
        "н": "n",
        "о": "o",
        "п": "p",
        "р": "r",
        "с": "s",
        "т": "t",
        "у": "u",
        "ф": "f",
        "х": "kh",
        "ц": "ts",
        "ч": "ch",
        "ш": "sh",
        "щ": "shch",
        "ь": "",
        "ю": "iu",
        "я": "ia",
        "'": "",
        "’": "",
    }
)


def latin(text: str) -> str:
    """Transliteration (the official passport table, simplified) for e-mail addresses."""
    return text.lower().translate(_TRANSLIT)


def email_for(full_name: str, rng: random.Random) -> str:
    parts = full_name.split()
    domain = rng.choice(["gmail.com", "ukr.net", "i.ua", "meta.ua"])
    return f"{latin(parts[1])[:1]}.{latin(parts[0])}{rng.randint(1, 99)}@{domain}"


# --- what appeals are about -----------------------------------------------------------------


def scenario_for(topic_code: str, topic_name: str, rng: random.Random) -> tuple[str, str]:
    """(summary, detail) for a subtopic; a generic text where no scenario is written."""
    options = catalogue("scenarios").get(topic_code)
    if options:
        return tuple(rng.choice(options))
    return (topic_name, f"Звертаюся з питання: {topic_name.lower()}.")


def fill(text: str, rng: random.Random, address: str, street: str) -> str:
    return text.format(address=address, street=street, route=rng.choice(catalogue("routes")))


# --- the city council's executor bodies ---------------------------------------------------------

EXECUTOR_DOMAIN = "misto.example.gov.ua"


# --- the contact center: units, staff list, people -----------------------------------------------


# --- the budget estimate ------------------------------------------------------------------------

HEATING_MONTHS = (1, 2, 3, 4, 10, 11, 12)
# КЕКВ → (annual sum or None for "computed from staff", month weights, expenditure description)
BUDGET_LINES = {
    "2111": (None, None, "Заробітна плата працівників за {month}"),
    "2120": (None, None, "Єдиний соціальний внесок (22 %) за {month}"),
    "2210": (Decimal("186000"), None, "Папір, канцелярське приладдя, картриджі (договір № {doc})"),
    "2240": (Decimal("432000"), None, "Послуги IP-телефонії та супровід програмного забезпечення за {month}"),
    "2250": (Decimal("24000"), None, "Відрядження працівників до м. Київ (наказ № {doc})"),
    "2271": (
        Decimal("218400"),
        {m: (3 if m in (1, 2, 12) else 2) if m in HEATING_MONTHS else 0 for m in range(1, 13)},
        "Теплова енергія за {month}",
    ),
    "2272": (Decimal("18000"), None, "Водопостачання та водовідведення за {month}"),
    "2273": (Decimal("162000"), None, "Електрична енергія за {month}"),
    "2275": (Decimal("9600"), None, "Вивезення побутових відходів за {month}"),
    "2800": (Decimal("6000"), None, "Податки, збори та обов'язкові платежі"),
}
SPECIAL_FUND_LINES = {"3110": Decimal("320000"), "2210": Decimal("48000")}
CENT = Decimal("0.01")


def spread_over_months(annual: Decimal, weights: dict[int, int] | None = None) -> list[Decimal]:
    """Split an annual sum over 12 months by weights; the months add up to the sum exactly."""
    weights = weights or dict.fromkeys(range(1, 13), 1)
    total = sum(weights.values())
    months = [(annual * weights.get(m, 0) / total).quantize(CENT, ROUND_HALF_UP) for m in range(1, 13)]
    last = max(m for m in range(1, 13) if weights.get(m, 0))
    months[last - 1] += annual - sum(months)
    return months


# --- registration numbers -------------------------------------------------------------------------


def bump_registration_counter(year: int, last_number: int) -> None:
    """Make the year's counter continue after ``last_number`` (never moves it back)."""
    counter = db.session.get(RegistrationCounter, year)
    if counter is None:
        db.session.add(RegistrationCounter(year=year, last_number=last_number))
    elif (counter.last_number or 0) < last_number:
        counter.last_number = last_number


# --- time helpers ---------------------------------------------------------------------------------


def kyiv_datetime(day: date, hour: int, minute: int) -> datetime:
    """An aware UTC datetime for a Kyiv wall-clock time."""
    return datetime.combine(day, time(hour, minute), tzinfo=KYIV).astimezone(UTC)


def kyiv_date(moment: datetime) -> date:
    return moment.astimezone(KYIV).date()


def working_moment(rng: random.Random, moment: datetime, now: datetime) -> datetime:
    """Move a moment to working hours of a working day in Kyiv, not later than ``now``."""
    local = moment.astimezone(KYIV)
    day = local.date()
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    result = kyiv_datetime(day, rng.randint(8, 17), rng.randint(0, 59))
    if result > now:
        result = now - timedelta(minutes=rng.randint(5, 90))
    return result


# --- the seeding ------------------------------------------------------------------------------------


@dataclass
class DemoAccount:
    username: str
    role: Role
    full_name: str
    bound_to: str = ""


@dataclass
class DemoResult:
    accounts: list[DemoAccount] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def has_data() -> bool:
    """Is there any user or appeal already (then ``seed_demo`` leaves the database alone)?"""
    return bool(
        db.session.execute(db.select(User.id).limit(1)).first()
        or db.session.execute(db.select(Appeal.id).limit(1)).first()
    )


def seed_demo(seed: int = DEFAULT_SEED, appeals: int = DEFAULT_APPEALS, now: datetime | None = None) -> DemoResult:
    """Fill an empty database with demo data and commit; the caller checks ``has_data`` first."""
    if not db.session.execute(db.select(Topic.id).where(Topic.parent_id.is_not(None)).limit(1)).first():
        raise DomainError(_l("Load the reference data first (flask init-db)."))
    with audit.acting_as(DEMO_ACTOR):
        builder = _DemoBuilder(seed, now or datetime.now(UTC))
        builder.organisation()
        builder.executors()
        builder.users()
        builder.budget()
        builder.appeals(appeals)
        db.session.commit()
    return builder.result


class _DemoBuilder:
    def __init__(self, seed: int, now: datetime):
        self.rng = random.Random(seed)
        self.now = now
        self.today = kyiv_date(now)
        self.year = self.today.year
        self.result = DemoResult()
        self.order_numbers: dict[str, int] = {}
        self.staff_annual = Decimal("0")
        self.units: dict[str, StructuralUnit] = {}
        self.employees: list[Employee] = []
        self.executor_rows: list[Executor] = []
        self.executors_by_topic: dict[str, list[Executor]] = {}
        self.executor_users: dict[int, User] = {}
        self.signers: dict[int | None, User] = {}  # direction id → signer
        self.clerks: list[User] = []
        self.director: User | None = None
        self.files_dir = os.path.abspath(current_app.config["FILES_DIR"])

    # -- organisation --------------------------------------------------------------------
    def _order(self, suffix: str, issued_on: date, order_type: OrderType, title: str, text: str = "", **kw) -> Order:
        """A director's order with the next number of its yearly register (-к personnel, -о main activity).

        Orders must be made in date order within a register for the numbers to run in date order.
        """
        register = f"{issued_on.year}{suffix}"
        self.order_numbers[register] = self.order_numbers.get(register, 0) + 1
        number = f"{self.order_numbers[register]}-{suffix}"
        order = Order(number=number, issued_on=issued_on, order_type=order_type, title=title, text=text, **kw)
        # the register's orders are history: signed on their day (the account that signed is not on record)
        order.signed_at = datetime.combine(issued_on, time(10), KYIV)
        db.session.add(order)
        return order

    def organisation(self) -> None:
        rng = self.rng
        founded = date(self.year - 4, 1, 15)
        for code, name, parent, summary in catalogue("units"):
            unit = StructuralUnit(
                code=code,
                name=name,
                parent=self.units.get(parent) if parent else None,
                regulation=f"Положення про {name.lower()}. Основні завдання: {summary}",
            )
            db.session.add(unit)
            self.units[code] = unit
        db.session.flush()

        # appointments: people hired over the years, each through an order; some posts vacant
        hires: list[tuple[date, Employee, StaffPosition]] = []
        positions: dict[tuple[str, str], StaffPosition] = {}
        heads: dict[str, Employee] = {}
        for unit_code, title, posts, salary, allowances, supplements, occupied, is_head in catalogue("positions"):
            position = StaffPosition(
                unit=self.units[unit_code],
                title=title,
                posts=Decimal(posts),
                salary=Decimal(salary),
                allowances=Decimal(allowances),
                supplements=Decimal(supplements),
            )
            db.session.add(position)
            positions[unit_code, title] = position
            self.staff_annual += position.annual_fund
            for _ in range(occupied):
                name, _sex = person(rng)
                hired = founded + timedelta(days=rng.randint(0, (self.today - founded).days - 30))
                employee = Employee(
                    full_name=name,
                    position=position,
                    rate=Decimal("1"),
                    phone=mobile_phone(rng),
                    email=f"{latin(name.split()[0])}@okc.example.gov.ua",
                    hired_on=hired,
                )
                db.session.add(employee)
                hires.append((hired, employee, position))
                if is_head:
                    heads[unit_code] = employee
        # a former employee, dismissed through an order (history for the personnel screens)
        former_position = positions["03", "Провідний спеціаліст"]
        former_name, _ = person(rng)
        former = Employee(
            full_name=former_name,
            position=former_position,
            rate=Decimal("1"),
            hired_on=founded + timedelta(days=40),
            phone=mobile_phone(rng),
            email=f"{latin(former_name.split()[0])}@okc.example.gov.ua",
        )
        db.session.add(former)
        assert former.hired_on is not None  # set just above
        hires.append((former.hired_on, former, former_position))
        db.session.flush()
        for code, employee in heads.items():  # after the flush: unit → head → post → unit is a cycle
            self.units[code].head = employee
        self.employees = [e for _, e, _ in hires if e is not former]

        # personnel orders in date order: every appointment, and the one dismissal
        dismissed_on = self.today - timedelta(days=rng.randint(60, 200))
        events = [(hired, 0, employee, position) for hired, employee, position in hires]
        events.append((dismissed_on, 1, former, former_position))
        for day, dismissal, employee, position in sorted(events, key=lambda e: (e[0], e[1], e[2].id)):
            if dismissal:
                employee.dismissed_on = day
                employee.dismissal_order = self._order(
                    "к",
                    day,
                    OrderType.DISMISSAL,
                    f"Про звільнення з посади: {employee.full_name}",
                    f"Звільнити з посади «{position.title}» ({position.unit.name}) {day:%d.%m.%Y} за угодою "
                    f"сторін (п. 1 ст. 36 КЗпП України): {employee.full_name}.",
                    employee_id=employee.id,
                    position_id=position.id,
                )
                continue
            if position.title == "Директор":  # appointed by the head of the oblast administration
                title = f"Про вступ на посаду директора: {employee.full_name}"
                text = (
                    f"На підставі розпорядження голови обласної державної адміністрації приступити до "
                    f"виконання обов'язків директора контактного центру з {day:%d.%m.%Y}."
                )
            else:
                title = f"Про призначення на посаду: {employee.full_name}"
                text = (
                    f"Призначити на посаду «{position.title}» ({position.unit.name}) з {day:%d.%m.%Y} з "
                    f"посадовим окладом {position.salary} грн: {employee.full_name}."
                )
            order = self._order(
                "к", day, OrderType.APPOINTMENT, title, text, employee_id=employee.id, position_id=position.id
            )
            db.session.flush()
            employee.appointment_order = order

        # the staff list and the units' regulations, approved by the director's orders
        self._order(
            "о",
            date(self.year, 1, 3),
            OrderType.STAFF_LIST,
            f"Про затвердження штатного розпису на {self.year} рік",
            f"Затвердити штатний розпис з річним фондом оплати праці {self.staff_annual:.2f} грн.",
        )
        for unit in self.units.values():
            unit.regulation_order = self._order(
                "о",
                date(self.year, 1, 5),
                OrderType.REGULATION,
                f"Про затвердження Положення про {unit.name.lower()}",
                "Затвердити Положення, що додається.",
            )
        db.session.flush()
        self.result.counts["structural units"] = len(self.units)
        self.result.counts["employees"] = len(hires)

    # -- executors -------------------------------------------------------------------------------
    def executors(self) -> None:
        rng = self.rng
        topics = {t.code: t for t in db.session.execute(db.select(Topic)).scalars()}
        rows = [(spec, ExecutorKind.EXTERNAL) for spec in catalogue("executors")] + [
            (catalogue("internal_executor"), ExecutorKind.INTERNAL)
        ]
        for (name, short, head_title, codes, mail), kind in rows:
            head, _ = person(rng)
            executor = Executor(
                name=name,
                short_name=short,
                kind=kind,
                head_name=head,
                email=f"{mail}@{EXECUTOR_DOMAIN}",
                phone=city_phone(rng),
                address=f"{CITY}, {street_address(rng)[1]}",
                unit=self.units["03"] if kind is ExecutorKind.INTERNAL else None,
                topics=[topics[c] for c in codes if c in topics],
            )
            executor.contacts.append(
                ExecutorContact(full_name=head, position=head_title, phone=executor.phone, email=executor.email)
            )
            contact, _ = person(rng)
            executor.contacts.append(
                ExecutorContact(
                    full_name=contact,
                    position="Відповідальний за роботу зі зверненнями громадян",
                    phone=mobile_phone(rng),
                    email=f"zvernennia.{mail}@{EXECUTOR_DOMAIN}",
                )
            )
            db.session.add(executor)
            self.executor_rows.append(executor)
            for code in codes:
                self.executors_by_topic.setdefault(code, []).append(executor)
        db.session.flush()
        self.result.counts["executors"] = len(self.executor_rows)

    # -- users -----------------------------------------------------------------------------------
    def users(self) -> None:
        from portal.services.users import create_user

        rng = self.rng
        heads = {code: unit.head for code, unit in self.units.items() if unit.head is not None}  # every unit has one
        staff = [e for e in self.employees if e not in heads.values()]
        directions = {d.name: d for d in db.session.execute(db.select(Direction)).scalars()}
        directions_by_id = {d.id: d for d in directions.values()}

        def add(username, role, full_name, **kw) -> User:
            user = create_user(
                username=username,
                role=role,
                password=DEMO_PASSWORD,
                full_name=full_name,
                email=f"{username}@okc.example.gov.ua",
                **kw,
            )
            bound = ""
            if user.executor_id:
                bound = str(db.session.get(Executor, user.executor_id))
            elif user.direction_id:
                bound = directions_by_id[user.direction_id].name
            self.result.accounts.append(DemoAccount(username, Role(role), full_name, bound))
            return user

        self.director = add("director", Role.DIRECTOR, heads["01"].full_name)
        for username, direction_name in (
            ("secretary", ref.DIR_LAND),
            ("deputy.housing", ref.DIR_HOUSING),
            ("deputy.social", ref.DIR_SOCIAL),
            ("deputy.economy", ref.DIR_ECONOMY),
            ("chief.staff", ref.DIR_ORGANISATION),
        ):
            direction = directions[direction_name]
            signer = add(username, Role.SIGNER, person(rng)[0], direction_id=direction.id)
            self.signers[direction.id] = signer
        registrars = [e for e in staff if e.position is not None and e.position.unit.code in ("02", "02.1")]
        self.clerks = [add(f"clerk{i}", Role.CLERK, registrars[i].full_name) for i in (1, 2)]
        by_short = {e.short_name: e for e in self.executor_rows}
        for username, short in (
            ("exec.teplo", "КП «Теплоенерго»"),
            ("exec.vodokanal", "КП «Водоканал»"),
            ("exec.housing", "Департамент ЖКГ"),
            ("exec.zhek1", "ЖЕК № 1"),
            ("exec.social", "Департамент соцполітики"),
            ("exec.transport", "Департамент транспорту"),
        ):
            executor = by_short[short]
            self.executor_users[executor.id] = add(
                username, Role.EXECUTOR, executor.contacts[1].full_name, executor_id=executor.id
            )
        add("accountant", Role.ACCOUNTANT, heads["04"].full_name)
        add("auditor", Role.AUDITOR, person(rng)[0])
        add("admin", Role.ADMIN, heads["06"].full_name)
        db.session.flush()

    # -- budget ----------------------------------------------------------------------------------
    def budget(self) -> None:
        rng = self.rng
        kekv = {k.code: k for k in db.session.execute(db.select(Kekv)).scalars()}
        # the pay fund of the staff list plus bonuses must fit the 2111 line
        salary = (self.staff_annual * Decimal("1.08") / 1000).quantize(Decimal("1"), ROUND_HALF_UP) * 1000
        sums = {"2111": salary, "2120": (salary * Decimal("0.22")).quantize(Decimal("1"), ROUND_HALF_UP)}
        approved_at = kyiv_datetime(date(self.year, 1, 10), 11, 0)
        assert self.director is not None  # accounts() ran first
        estimate = BudgetEstimate(
            year=self.year,
            fund=Fund.GENERAL,
            state=DocumentState.APPROVED,
            approved_at=approved_at,
            approved_by_id=self.director.id,
            note=f"Кошторис на {self.year} рік, загальний фонд обласного бюджету",
        )
        db.session.add(estimate)
        self._order("о", date(self.year, 1, 10), OrderType.BUDGET, f"Про затвердження кошторису на {self.year} рік")
        lines = []
        for code, (annual, weights, _) in BUDGET_LINES.items():
            annual = annual if annual is not None else sums[code]
            months = spread_over_months(annual, weights)
            line = BudgetLine(
                estimate=estimate, kekv=kekv[code], annual_amount=annual, **dict(zip(MONTH_COLUMNS, months))
            )
            db.session.add(line)
            lines.append((code, line, months))

        special = BudgetEstimate(
            year=self.year,
            fund=Fund.SPECIAL,
            state=DocumentState.DRAFT,
            note="Проєкт кошторису спеціального фонду: оновлення серверного обладнання",
        )
        db.session.add(special)
        for code, annual in SPECIAL_FUND_LINES.items():
            weights = {5: 1, 9: 1} if code == "3110" else None
            months = spread_over_months(annual, weights)
            db.session.add(
                BudgetLine(estimate=special, kekv=kekv[code], annual_amount=annual, **dict(zip(MONTH_COLUMNS, months)))
            )
        db.session.flush()

        # spending within the monthly plan: never beyond the cumulative plan to date
        accountant = db.session.execute(db.select(User).filter_by(role=Role.ACCOUNTANT)).scalar_one()
        count = 0
        for month in range(1, self.today.month + 1):
            pay_day = date(self.year, month, 20)
            for code, line, months in lines:
                plan = months[month - 1]
                if plan <= 0:
                    continue
                day = pay_day if code in ("2111", "2120") else date(self.year, month, rng.randint(5, 25))
                if day > self.today:
                    continue
                share = Decimal(rng.randint(93, 100) if code in ("2111", "2120") else rng.randint(40, 95)) / 100
                amount = (plan * share).quantize(CENT, ROUND_HALF_UP)
                description = BUDGET_LINES[code][2].format(
                    month=f"{catalogue('month_names')[month - 1]} {self.year}", doc=rng.randint(10, 250)
                )
                db.session.add(
                    Expenditure(
                        line=line,
                        spent_on=day,
                        amount=amount,
                        description=description,
                        document_ref=f"платіжна інструкція № {rng.randint(100, 999)} від {day:%d.%m.%Y}",
                        created_by_id=accountant.id,
                    )
                )
                count += 1
        db.session.flush()
        self.result.counts["budget lines"] = len(lines) + len(SPECIAL_FUND_LINES)
        self.result.counts["expenditures"] = count

    # -- appeals ---------------------------------------------------------------------------------
    def appeals(self, total: int) -> None:
        _AppealMaker(self).make(total)


S = AppealStatus
# share of each final state and the range of ages (days since registration) it is found at
STATE_PLAN = [
    (S.REGISTERED, 0.05, (0.05, 1.5)),
    (S.ON_RESOLUTION, 0.04, (0.3, 3)),
    (S.ASSIGNED, 0.05, (1, 6)),
    (S.IN_WORK, 0.13, (2, 26)),
    (S.ANSWER_DRAFTED, 0.04, (6, 26)),
    (S.ON_SIGNING, 0.04, (7, 27)),
    (S.SIGNED, 0.03, (8, 28)),
    (S.SENT, 0.05, (9, 29)),
    (S.RETURNED_TO_APPLICANT, 0.03, (2, DEMO_DAYS)),
    (S.NOT_CONSIDERED, 0.03, (2, DEMO_DAYS)),
    (S.FORWARDED, 0.03, (1, 5)),
    (S.CANCELLED, 0.01, (2, DEMO_DAYS)),  # a wrong registration, cancelled by the director
    (S.CLOSED, None, (12, DEMO_DAYS)),  # the rest
]
MAIN_PATH = [
    S.REGISTERED,
    S.ON_RESOLUTION,
    S.ASSIGNED,
    S.IN_WORK,
    S.ANSWER_DRAFTED,
    S.ON_SIGNING,
    S.SIGNED,
    S.SENT,
    S.CLOSED,
]
STEP_WEIGHT = {
    S.ON_RESOLUTION: 0.6,
    S.ASSIGNED: 1.2,
    S.IN_WORK: 0.8,
    S.ANSWER_DRAFTED: 8,
    S.ON_SIGNING: 1,
    S.SIGNED: 1.2,
    S.SENT: 0.6,
    S.CLOSED: 2,
    S.RETURNED_TO_APPLICANT: 1,
    S.NOT_CONSIDERED: 1,
    S.FORWARDED: 1,
    S.CANCELLED: 1,
}
RESULT_WEIGHTS = [("positive", 36), ("explained", 40), ("refused", 7), ("impossible_now", 8), ("needs_funding", 9)]


def path_to(status: AppealStatus, rework: bool = False, via_forward: bool = False) -> list[AppealStatus]:
    """The states an appeal went through to reach ``status`` (with one rework loop if asked)."""
    if status in (S.RETURNED_TO_APPLICANT, S.NOT_CONSIDERED, S.FORWARDED, S.CANCELLED):
        return [S.REGISTERED, status]
    if status is S.CLOSED and via_forward:
        return [S.REGISTERED, S.FORWARDED, S.CLOSED]
    end = MAIN_PATH.index(status)
    signing = MAIN_PATH.index(S.ON_SIGNING)
    if rework and status is S.IN_WORK:  # returned by the signer, being reworked right now
        return MAIN_PATH[: signing + 1] + [S.IN_WORK]
    if rework and end >= signing:
        return MAIN_PATH[: signing + 1] + [S.IN_WORK, S.ANSWER_DRAFTED, S.ON_SIGNING] + MAIN_PATH[signing + 1 : end + 1]
    return MAIN_PATH[: end + 1]


class _AppealMaker:
    """Builds appeals with a consistent history: transitions, resolution, assignments, answers."""

    def __init__(self, b: _DemoBuilder):
        self.b = b
        self.rng = b.rng
        self.now = b.now
        self.topics = {t.code: t for t in db.session.execute(db.select(Topic).order_by(Topic.code)).scalars()}
        self.subtopics = [t for code, t in self.topics.items() if "." in code and code in b.executors_by_topic]
        self.weights = [catalogue("section_weights").get(t.code.split(".")[0], 1) for t in self.subtopics]
        self.results = {r.code: r for r in db.session.execute(db.select(ResultCode)).scalars()}
        self.statuses = list(db.session.execute(db.select(SocialStatus).order_by(SocialStatus.code)).scalars())
        self.privileges = list(
            db.session.execute(db.select(PrivilegeCategory).order_by(PrivilegeCategory.code)).scalars()
        )
        self.ukc_numbers: set[str] = set()
        self.closed: list[Appeal] = []
        self.repeats = 0
        self.outgoing = 0

    # the plan: which appeal ends in which state, registered when
    def plan(self, total: int) -> list[tuple[datetime, AppealStatus, dict]]:
        rng = self.rng
        counts = {}
        for status, share, _ in STATE_PLAN:
            if share is not None:
                counts[status] = max(2, round(share * total))
        counts[S.CLOSED] = max(2, total - sum(counts.values()))
        plan = []
        for status, _, (low, high) in STATE_PLAN:
            for i in range(counts[status]):
                extra = {"term": 15 if rng.random() < 0.2 else 30}
                age = rng.uniform(low, high)
                if status is S.IN_WORK:
                    # a few overdue, a few due within three days, the rest comfortably in term
                    if i < max(2, counts[status] // 6):
                        age = extra["term"] + rng.uniform(1, 8)
                    elif i < max(4, counts[status] // 3):
                        age = extra["term"] - rng.uniform(0.3, 2.5)
                    else:
                        age = rng.uniform(2, max(3, extra["term"] - 4))
                if status in (S.ANSWER_DRAFTED, S.ON_SIGNING, S.SIGNED, S.SENT):
                    age = min(age, extra["term"] - 1) if i % 4 else age  # most still within term
                if status is S.CLOSED:
                    extra["via_forward"] = rng.random() < 0.06
                extra["rework"] = status in (S.IN_WORK, S.ON_SIGNING, S.SIGNED, S.SENT, S.CLOSED) and rng.random() < 0.1
                registered = working_moment(rng, self.now - timedelta(days=age), self.now)
                plan.append((registered, status, extra))
        plan.sort(key=lambda p: p[0])
        return plan

    def make(self, total: int) -> None:
        b = self.b
        numbers: dict[int, int] = {}
        by_state: dict[str, int] = {}
        plan = self.plan(total)
        late_closed, overdue = [], []
        for index, (registered, status, extra) in enumerate(plan):
            extra["late_in_plan"] = index > len(plan) * 2 // 3
            year = kyiv_date(registered).year
            numbers[year] = numbers.get(year, 0) + 1
            appeal = self.appeal(year, numbers[year], registered, status, extra)
            by_state[status.value] = by_state.get(status.value, 0) + 1
            if appeal.term_days == 30 and appeal.signer is not None:
                if status is S.CLOSED and appeal.closed_at and kyiv_date(appeal.closed_at) > appeal.due_date:
                    late_closed.append(appeal)
                elif status is S.IN_WORK and appeal.due_date < self.b.today:
                    overdue.append(appeal)
            if index % 50 == 49:
                db.session.flush()
        db.session.flush()
        # a few terms extended to 45 days: late ones that were closed, and one still in work
        for appeal in self.rng.sample(late_closed, min(3, len(late_closed))) + overdue[:1]:
            self.extend(appeal)
        for year, last in numbers.items():
            bump_registration_counter(year, last)
        db.session.flush()
        b.result.counts["appeals"] = sum(by_state.values())
        b.result.counts.update({f"  {k}": v for k, v in sorted(by_state.items())})

    # one appeal
    def applicant(self, subject: AppealSubject) -> Applicant | None:
        rng = self.rng
        if subject is AppealSubject.ANONYMOUS:
            return None
        if subject is AppealSubject.COLLECTIVE:
            name = (
                rng.choice(catalogue("organisations"))
                if rng.random() < 0.5
                else (f"Мешканці будинку {street_address(rng)[1]} ({rng.randint(12, 80)} підписів)")
            )
            return Applicant(full_name=name, address=home_address(rng), phone=mobile_phone(rng), sex=Sex.UNKNOWN)
        name, sex = person(rng)
        privilege = rng.choice(self.privileges) if rng.random() < 0.15 else None
        status = rng.choice(self.statuses[:9]) if rng.random() < 0.85 else None
        if privilege is not None and privilege.code in ("01", "02", "03", "06", "15", "17", "18"):
            status = next(s for s in self.statuses if s.code == "01")  # veterans are pensioners
        return Applicant(
            full_name=name,
            address=home_address(rng),
            phone=mobile_phone(rng),
            phone2=mobile_phone(rng) if rng.random() < 0.1 else "",
            email=email_for(name, rng) if rng.random() < 0.4 else "",
            sex=sex,
            social_status=status,
            privilege_category=privilege,
        )

    def appeal(self, year: int, seq: int, registered: datetime, status: AppealStatus, extra: dict) -> Appeal:
        rng = self.rng
        b = self.b
        clerk = rng.choice(b.clerks)
        subject = AppealSubject.INDIVIDUAL
        if status is S.NOT_CONSIDERED and rng.random() < 0.6:
            subject = AppealSubject.ANONYMOUS
        elif rng.random() < 0.05:
            subject = AppealSubject.COLLECTIVE

        repeat_of = None
        earlier = [a for a in self.closed[-60:] if a.closed_at and a.closed_at < registered - timedelta(days=2)]
        late = extra.get("late_in_plan", False) and not self.repeats  # at least one repeated appeal
        if subject is AppealSubject.INDIVIDUAL and earlier and (late or rng.random() < 0.07):
            # the same person on the same issue after the answer: a repeated appeal, linked
            repeat_of = rng.choice(earlier)
            self.repeats += 1
            topic = repeat_of.topic
            applicant = repeat_of.applicant
        else:
            topic = rng.choices(self.subtopics, self.weights)[0]
            applicant = self.applicant(subject)
        assert topic is not None  # every demo appeal has a topic

        street, address = street_address(rng)
        if applicant is not None and applicant.address.startswith(CITY) and rng.random() < 0.7:
            # the applicant's own house (without the flat number)
            address = applicant.address.removeprefix(f"{CITY}, ").split(", кв.")[0]
            street = address.split(", буд.")[0]
        summary, detail = scenario_for(topic.code, topic.name, rng)
        summary = fill(summary, rng, address, street)
        content = (
            rng.choice(catalogue("openings"))
            + fill(detail, rng, address, street)
            + " "
            + rng.choice(catalogue("requests"))
        )
        if repeat_of is not None:
            content = (
                f"Повторно звертаюся з приводу звернення № {repeat_of.reg_number} від "
                f"{kyiv_date(repeat_of.registered_at):%d.%m.%Y}: питання не вирішено. " + content
            )

        channel = rng.choices(
            [
                Channel.GOVERNMENT,
                Channel.POST,
                Channel.PHONE,
                Channel.PERSONAL,
                Channel.WEB,
                Channel.OTHER_BODY,
                Channel.AUTHORISED,
                Channel.MEDIA,
            ],
            [60, 12, 8, 7, 8, 3, 1, 1],
        )[0]
        ukc = regional = ""
        if channel is Channel.GOVERNMENT:
            while not ukc or ukc in self.ukc_numbers:
                ukc = f"{rng.randint(1_000_000, 9_999_999)}"
            self.ukc_numbers.add(ukc)
            regional = f"КЦ-{rng.randint(10000, 99999)}/{registered.year % 100:02d}"

        sign = (
            ReceiptSign.REPEATED
            if repeat_of is not None
            else rng.choices([ReceiptSign.PRIMARY, ReceiptSign.DUPLICATE, ReceiptSign.MULTIPLE], [95, 3, 2])[0]
        )
        term = extra["term"]
        appeal = Appeal(
            reg_seq=seq,
            registered_at=registered,
            channel=channel,
            ukc_number=ukc,
            regional_number=regional,
            applicant=applicant,
            appeal_type=rng.choices([AppealType.STATEMENT, AppealType.COMPLAINT, AppealType.PROPOSAL], [62, 30, 8])[0],
            subject=subject,
            sign=sign,
            topic=topic,
            direction=topic.direction,
            summary=summary[:500],
            content=content,
            signed_by_applicant=True,
            status=status,
            is_privileged=bool(applicant is not None and applicant.privilege_category is not None),
            term_days=term,
            due_date=deadlines.due_date(registered, term),
            repeat_of=repeat_of,
            created_by_id=clerk.id,
            created_at=registered,
        )
        appeal.reg_number = registration.format_reg_number(registration.registration_prefix(appeal), seq, year)
        if channel is Channel.GOVERNMENT:
            self.incoming_mail(appeal, clerk)
        appeal.issues.append(AppealIssue(topic=topic, text=summary[:500]))
        db.session.add(appeal)
        self.history(appeal, status, extra, clerk)
        if status is S.CLOSED and repeat_of is None and applicant is not None:
            self.closed.append(appeal)
        return appeal

    # the workflow history, and the records each step leaves behind
    def timeline(self, appeal: Appeal, path: list[AppealStatus], final: AppealStatus) -> list[datetime]:
        """When each state of ``path`` was entered: all after registration, none in the future."""
        rng = self.rng
        start = appeal.registered_at
        age = (self.now - start).total_seconds() / 86400
        if len(path) == 1:
            return [start]
        if path[1] is S.FORWARDED:  # forwarded within 5 days, closed a few days later
            forwarded = min(rng.uniform(0.3, 4.5), age * 0.6)
            moments = [start, start + timedelta(days=forwarded)]
            if final is S.CLOSED:
                moments.append(start + timedelta(days=min(forwarded + rng.uniform(1, 8), age - 0.01)))
            return moments
        if final is S.CLOSED:  # most on time, some late
            span = (
                rng.uniform(0.45, 0.95) * appeal.term_days
                if rng.random() < 0.87
                else appeal.term_days + rng.uniform(1, 6)
            )
        elif final in (S.RETURNED_TO_APPLICANT, S.NOT_CONSIDERED, S.CANCELLED):
            span = rng.uniform(1, 8)
        else:
            span = age * rng.uniform(0.55, 0.95)
        span = max(0.02, min(span, age - 0.01))
        weights = [STEP_WEIGHT[s] * rng.uniform(0.5, 1.5) for s in path[1:]]
        total = sum(weights)
        moments, elapsed = [start], 0.0
        for w in weights:
            elapsed += span * w / total
            moments.append(start + timedelta(days=elapsed))
        return moments

    def history(self, appeal: Appeal, status: AppealStatus, extra: dict, clerk: User) -> None:
        """Walk the appeal through ``path`` as the workflow would have, leaving its records."""
        rng = self.rng
        b = self.b
        path = path_to(status, extra.get("rework", False), extra.get("via_forward", False))
        moments = self.timeline(appeal, path, status)
        at = dict(zip(path, moments))  # the last time each state was entered
        first = {state: moments[path.index(state)] for state in path}
        assert appeal.topic is not None  # every demo appeal has a topic
        signer = b.signers.get(appeal.topic.direction_id)
        if S.ON_RESOLUTION in path:
            appeal.signer = signer
        appeal.rework_count = max(0, path.count(S.IN_WORK) - 1)

        responsible = resolution = None
        if S.ASSIGNED in path:
            resolution, responsible = self.resolution(appeal, path, at, first, signer)
        executor_user = b.executor_users.get(responsible.executor.id) if responsible is not None else None
        if S.ANSWER_DRAFTED in path:  # drafted answers stay with an appeal returned for rework
            self.answers(appeal, path, at, first, responsible, executor_user, signer)

        # decisions that end the appeal early, forwarding, dispatch and closing
        comments = {S.ON_RESOLUTION: str(signer), S.ASSIGNED: resolution.text if resolution else ""}
        if status is S.RETURNED_TO_APPLICANT:
            appeal.decision_reason = (
                catalogue("return_reasons")[1] if appeal.applicant else catalogue("return_reasons")[0]
            )
            appeal.signed_by_applicant = False
            appeal.applicant_notified_on = kyiv_date(moments[-1])
            comments[status] = appeal.decision_reason
        if status is S.NOT_CONSIDERED:
            appeal.decision_reason = catalogue("not_considered_reasons")[
                0 if appeal.subject is AppealSubject.ANONYMOUS else 1
            ]
            comments[status] = appeal.decision_reason
        if status is S.CANCELLED:
            appeal.decision_reason = "Помилкова реєстрація: звернення зареєстровано двічі."
            comments[status] = appeal.decision_reason
        if S.FORWARDED in path:
            appeal.forwarded_at = at[S.FORWARDED]
            appeal.forwarded_to = rng.choice(catalogue("forward_bodies"))
            appeal.applicant_notified_on = kyiv_date(at[S.FORWARDED])
            comments[S.FORWARDED] = appeal.forwarded_to
        if S.SENT in path:
            self.outgoing += 1
            appeal.outgoing_number = f"{self.outgoing}/05-{kyiv_date(at[S.SENT]).year % 100:02d}"
            appeal.sent_at = at[S.SENT]
            recent = (self.now - at[S.SENT]) < timedelta(hours=2)
            appeal.delivery_status = (
                DeliveryStatus.PENDING
                if recent
                else DeliveryStatus.FAILED
                if status is S.SENT and rng.random() < 0.1
                else DeliveryStatus.SENT
            )
            appeal.paper_copy_sent = status is S.CLOSED or rng.random() < 0.5
            for answer in appeal.answers:
                answer.outgoing_number = appeal.outgoing_number
            self.scan(appeal, clerk, at[S.SENT])
            comments[S.SENT] = appeal.outgoing_number
        if status is S.CLOSED:
            if S.FORWARDED in path:
                code = "forwarded"
            else:
                codes, weights = zip(*RESULT_WEIGHTS)
                code = rng.choices(codes, weights)[0]
            appeal.result_code = self.results[code]
            appeal.closed_at = at[S.CLOSED]
            comments[S.CLOSED] = appeal.result_code.name

        # the transitions themselves, by the user who would have made each one
        actor_for = {
            S.REGISTERED: clerk,
            S.ON_RESOLUTION: clerk,
            S.ASSIGNED: signer,
            S.IN_WORK: executor_user,
            S.ANSWER_DRAFTED: executor_user,
            S.ON_SIGNING: executor_user,
            S.SIGNED: signer,
            S.SENT: clerk,
            S.CLOSED: clerk,
            S.RETURNED_TO_APPLICANT: clerk,
            S.NOT_CONSIDERED: clerk,
            S.FORWARDED: clerk,
            S.CANCELLED: b.director,
        }
        previous = None
        for state, moment in zip(path, moments):
            actor, comment = actor_for[state], comments.get(state, "")
            if previous is S.ON_SIGNING and state is S.IN_WORK:
                actor, comment = signer, "Повернуто на доопрацювання: уточнити строки виконання робіт."
            appeal.transitions.append(
                StatusChange(
                    from_status=previous,
                    to_status=state,
                    at=moment,
                    user_id=actor.id if actor is not None else None,
                    comment=comment,
                )
            )
            previous = state
        appeal.updated_at = moments[-1]

    def resolution(self, appeal, path, at, first, signer) -> tuple[Resolution, Assignment]:
        """The signer's resolution: the responsible executor first, maybe a co-executor and a copy."""
        rng = self.rng
        b = self.b
        assigned_at = at[S.ASSIGNED]
        resolved_on = kyiv_date(assigned_at)
        deadline = max(resolved_on, appeal.due_date - timedelta(days=rng.choice([0, 0, 1, 2])))
        resolution = Resolution(
            signer=signer,
            text=rng.choice(catalogue("resolution_texts")),
            resolved_on=resolved_on,
            deadline=deadline,
            created_at=assigned_at,
        )
        appeal.resolutions.append(resolution)
        candidates = list(b.executors_by_topic[appeal.topic.code])
        rng.shuffle(candidates)
        # prefer a body with a demo account as the responsible executor, so executors see work
        candidates.sort(key=lambda e: e.id not in b.executor_users)
        chosen = [(candidates[0], ExecutorRole.RESPONSIBLE)]
        if len(candidates) > 1 and rng.random() < 0.3:
            chosen.append((candidates[1], ExecutorRole.CO_EXECUTOR))
        if rng.random() < 0.15:
            named = [e for e, _ in chosen]
            chosen.append((rng.choice([e for e in b.executor_rows if e not in named]), ExecutorRole.FOR_INFORMATION))
        appeal.main_executor = candidates[0]
        for position, (executor, role) in enumerate(chosen, start=1):
            appeal.assignments.append(
                Assignment(
                    resolution=resolution,
                    executor=executor,
                    position=position,
                    executor_role=role,
                    due_date=deadline,
                    created_at=assigned_at,
                )
            )
        # only the responsible executor accepts, drafts and is returned for rework
        responsible = appeal.assignments[-len(chosen)]
        if S.IN_WORK in path:
            responsible.status = AssignmentStatus.ACCEPTED
            responsible.accepted_at = first[S.IN_WORK]
        if S.ANSWER_DRAFTED in path:
            responsible.status = AssignmentStatus.ANSWERED
            responsible.answered_at = at[S.ANSWER_DRAFTED]
        if path[-1] is S.IN_WORK and path.count(S.IN_WORK) > 1:
            responsible.status = AssignmentStatus.RETURNED
            responsible.answered_at = None
        return resolution, responsible

    def answers(self, appeal, path, at, first, responsible, executor_user, signer) -> None:
        """Both answers (appendices 1 and 2) and the proof of feedback with the applicant."""
        rng = self.rng
        drafted = at[S.ANSWER_DRAFTED]
        action = rng.choice(catalogue("actions")["positive" if rng.random() < 0.5 else "explained"])
        registered = kyiv_date(appeal.registered_at)
        name = appeal.applicant.full_name if appeal.applicant else "заявник"
        source = (
            f"що надійшло від державної установи «Урядовий контактний центр» (№ {appeal.ukc_number})"
            if appeal.ukc_number
            else "що надійшло до виконавчого комітету міської ради"
        )
        bodies = [
            (
                AnswerKind.TO_REGIONAL_CENTER,
                f"Обласному контактному центру. На звернення {name} (вх. № {appeal.reg_number} від "
                f"{registered:%d.%m.%Y}), {source}, повідомляємо: {action}. Заявника поінформовано.",
            ),
            (
                AnswerKind.TO_APPLICANT,
                f"Шановний(а) {name}! Розглянувши Ваше звернення від {registered:%d.%m.%Y} "
                f"№ {appeal.reg_number} щодо «{appeal.summary}», повідомляємо: {action}.",
            ),
        ]
        signed_at = at.get(S.SIGNED)
        for kind, body in bodies:
            appeal.answers.append(
                Answer(
                    kind=kind,
                    body=body,
                    assignment=responsible,
                    drafted_by_id=executor_user.id if executor_user else None,
                    signed_by_id=signer.id if signed_at and signer else None,
                    signed_at=signed_at,
                    created_at=drafted,
                )
            )
        accepted = first.get(S.IN_WORK, appeal.registered_at)
        contacted = max(accepted + (drafted - accepted) / 3, drafted - timedelta(hours=rng.uniform(2, 40)))
        method = rng.choices(
            [FeedbackMethod.PHONE, FeedbackMethod.EMAIL, FeedbackMethod.MEETING, FeedbackMethod.LETTER], [70, 15, 10, 5]
        )[0]
        appeal.feedback.append(
            FeedbackProof(
                method=method,
                contacted_at=contacted,
                result=rng.choice(catalogue("feedback_results")),
                created_at=drafted,
            )
        )

    # files: the incoming e-mail of a 1545 appeal and the signed scan of a dispatched answer
    def _store(
        self,
        appeal: Appeal,
        kind: AttachmentKind,
        filename: str,
        content_type: str,
        data: bytes,
        user: User | None,
        at: datetime,
    ) -> None:
        key = f"demo/{kyiv_date(appeal.registered_at).year}/{appeal.reg_seq:06d}-{kind.value}{os.path.splitext(filename)[1]}"
        path = os.path.join(self.b.files_dir, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)
        appeal.attachments.append(
            Attachment(
                kind=kind,
                filename=filename,
                content_type=content_type,
                size=len(data),
                storage_key=key,
                uploaded_by_id=user.id if user else None,
                created_at=at,
            )
        )

    def incoming_mail(self, appeal: Appeal, clerk: User) -> None:
        registered = appeal.registered_at.astimezone(KYIV)
        message = (
            "From: Обласний контактний центр <okc@example.gov.ua>\n"
            "To: zvernennia@misto.example.gov.ua\n"
            f"Subject: Звернення № {appeal.ukc_number} ({appeal.regional_number})\n"
            f"Date: {registered:%a, %d %b %Y %H:%M:%S %z}\n"
            "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
            f"Заявник: {appeal.applicant.full_name if appeal.applicant else 'анонімно'}\n"
            f"Адреса: {appeal.applicant.address if appeal.applicant else '-'}\n"
            f"Короткий зміст: {appeal.summary}\n\n{appeal.content}\n"
        ).encode()
        self._store(
            appeal,
            AttachmentKind.INCOMING,
            f"zvernennia-{appeal.ukc_number}.eml",
            "message/rfc822",
            message,
            clerk,
            appeal.registered_at,
        )

    def scan(self, appeal: Appeal, clerk: User, at: datetime) -> None:
        text = [
            f"Outgoing No. {latin(appeal.outgoing_number)} of {kyiv_date(at):%d.%m.%Y}",
            f"Answer to appeal {latin(appeal.reg_number)}",
            "Signed scan (demo data)",
        ]
        self._store(
            appeal,
            AttachmentKind.SCAN,
            f"vidpovid-{appeal.outgoing_number.replace('/', '-')}.pdf",
            "application/pdf",
            tiny_pdf(text),
            clerk,
            at,
        )

    def extend(self, appeal: Appeal) -> None:
        """A term extended by the signer up to the legal maximum of 45 days."""
        old_due = appeal.due_date
        new_due = deadlines.latest_due_date(appeal.registered_at)
        notified = min(self.b.today, old_due - timedelta(days=self.rng.randint(2, 6)))
        appeal.extensions.append(
            TermExtension(
                old_due_date=old_due,
                new_due_date=new_due,
                reason=self.rng.choice(catalogue("extension_reasons")),
                applicant_notified_on=notified,
                extended_by_id=appeal.signer.id if appeal.signer else None,
                created_at=kyiv_datetime(notified, 10, 0),
            )
        )
        appeal.term_days = deadlines.MAX_TERM_DAYS
        appeal.due_date = new_due
        for assignment in appeal.assignments:  # executors' deadlines move with the legal term
            if assignment.status is not AssignmentStatus.ANSWERED:
                assignment.due_date = new_due


def tiny_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with a few ASCII lines: a stand-in for a scanned document."""
    text = " ".join(f"({line.encode('ascii', 'replace').decode()}) Tj 0 -18 Td" for line in lines)
    stream = f"BT /F1 12 Tf 72 760 Td {text} ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
