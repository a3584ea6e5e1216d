"""Appeal screens: the register (list), registration, the appeal card with its workflow, files.

The view stays declarative: registration, transitions and files go through
``portal.services.registration``, ``workflow`` and ``attachments``.
"""

from __future__ import annotations

import functools
import io
import os
from collections.abc import Callable

import sqlalchemy as sa
from flask import abort, flash, g, has_request_context, redirect, request, send_file, url_for
from flask_admin import expose
from flask_admin.contrib.sqla import filters as sqla_filters
from flask_admin.form import rules
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import CombinedMultiDict
from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length

from admin_views import compat, paging
from admin_views.base import PortalModelView
from admin_views.filters import (
    CoExecutorFilter,
    DateRangeFilter,
    EnumFilter,
    ExecutorFilter,
    FlagFilter,
    IdFilter,
    KyivDateBetweenFilter,
    filter_args,
    keyed,
    lazy_options,
)
from admin_views.forms.appeals import (
    ACTION_FILES,
    ACTION_FORMS,
    CONFIRM_ACTIONS,
    AttachForm,
    build_action_form,
    registration_form,
)
from admin_views.forms.fields import enum_select, form_errors
from admin_views.forms.pickers import AppealLoader, ApplicantLoader, TopicLoader
from portal import registration_card
from portal.auth.permissions import can
from portal.extensions import db
from portal.i18n import format_date
from portal.labels import enum_label
from portal.models.appeals import (
    Answer,
    Appeal,
    AppealIssue,
    Applicant,
    Assignment,
    Attachment,
    FeedbackProof,
    Resolution,
    StatusChange,
    TermExtension,
)
from portal.models.enums import (
    OPEN_STATUSES,
    AppealStatus,
    AppealSubject,
    AppealType,
    AuditAction,
    Channel,
    DeliveryStatus,
    ReceiptSign,
    ReportKind,
    Sex,
)
from portal.models.exchange import OutgoingMail
from portal.models.org import Executor
from portal.models.reference import Direction, Topic
from portal.redirects import safe_next
from portal.reports import register_export, runs
from portal.services import (
    attachments,
    audit,
    deadlines,
    notifications,
    preferences,
    registration,
    search,
    workflow,
    worklists,
)
from portal.services.errors import DomainError
from portal.services.scope import can_see_appeal, scope_appeals, scope_terms

STATUS_BADGES = {
    AppealStatus.REGISTERED: "secondary",
    AppealStatus.ON_RESOLUTION: "info",
    AppealStatus.ASSIGNED: "info",
    AppealStatus.IN_WORK: "primary",
    AppealStatus.ANSWER_DRAFTED: "primary",
    AppealStatus.ON_SIGNING: "warning",
    AppealStatus.SIGNED: "warning",
    AppealStatus.SENT: "success",
    AppealStatus.CLOSED: "dark",
    AppealStatus.RETURNED_TO_APPLICANT: "light",
    AppealStatus.NOT_CONSIDERED: "light",
    AppealStatus.FORWARDED: "light",
    AppealStatus.CANCELLED: "light",
}


def list_filters(open_only: Callable[[], bool] | None = None):
    """The appeals list's filters (built per view: their options load lazily).

    ``open_only``: the view's test of whether the current list holds open appeals only (the executor filters then
    read the body's open assignments).
    """
    return [
        EnumFilter(Appeal.status, _l("Status"), AppealStatus, "status"),
        FlagFilter(_l("Open (not finished)"), deadlines.open_clause, "open"),
        FlagFilter(_l("Overdue"), deadlines.overdue_clause, "overdue"),
        FlagFilter(_l("Due within 3 days"), deadlines.near_due_clause, "near_due"),
        FlagFilter(
            _l("Not delivered to the regional center"),
            lambda: Appeal.delivery_status.in_([DeliveryStatus.PENDING, DeliveryStatus.FAILED]),
            "not_delivered",
        ),
        FlagFilter(_l("Returned for rework"), lambda: Appeal.rework_count > 0, "reworked"),
        keyed(sqla_filters.BooleanEqualFilter(Appeal.is_privileged, _l("Privileged applicant")), "privileged"),
        EnumFilter(Appeal.channel, _l("Channel"), Channel, "channel"),
        EnumFilter(Appeal.appeal_type, _l("Appeal type"), AppealType, "type"),
        EnumFilter(Appeal.subject, _l("Appeal subject"), AppealSubject, "subject"),
        EnumFilter(Appeal.sign, _l("Receipt sign"), ReceiptSign, "sign"),
        IdFilter(Appeal.topic_id, _l("Topic"), lazy_options(Topic, [Topic.code]), "topic"),
        IdFilter(Appeal.direction_id, _l("Direction"), lazy_options(Direction, [Direction.name]), "direction"),
        ExecutorFilter(
            Appeal.id, _l("Executor (any assignment)"), lazy_options(Executor, [Executor.name]), "executor", open_only
        ),
        CoExecutorFilter(
            Appeal.id, _l("Co-executor or informed"), lazy_options(Executor, [Executor.name]), "co_executor", open_only
        ),
        IdFilter(
            Appeal.main_executor_id,
            _l("Executor of record"),
            lazy_options(Executor, [Executor.name]),
            "main_executor",
        ),
        DateRangeFilter(Appeal.due_date, _l("Due date"), "due"),
        KyivDateBetweenFilter(Appeal.registered_at, _l("Registration date"), "registered"),
        KyivDateBetweenFilter(Appeal.received_at, _l("Received at"), "received"),
    ]


# --- list cells --------------------------------------------------------------------------------


# list cells are written with f-strings and escape(): Markup.format's string.Formatter costs
# several times more, and a list page writes hundreds of cells


# fixed texts of the cells, translated once per request (a lazy string looks its translation up
# each time it is shown, hundreds of times a page); the ones with %(…)s are formatted per cell
CELL_TEXTS = {
    "overdue": _l("Overdue"),
    "near_due": _l("Due within 3 days"),
    "control": _l("Control date: %(date)s"),
    "control_short": _l("c. %(date)s"),
    "art5_title": _l("Days left to return it to the applicant (Art. 5)"),
    "art5": _l("Art. 5: %(days)s d."),
    "privileged": _l("Privileged applicant"),
}


def cell_texts() -> dict[str, str]:
    """``CELL_TEXTS`` in this request's language, HTML-escaped."""
    texts = g.get("_appeal_cell_texts") if has_request_context() else None
    if texts is None:
        texts = {key: str(escape(str(text))) for key, text in CELL_TEXTS.items()}
        if has_request_context():
            g._appeal_cell_texts = texts
    return texts


def status_badge(status) -> Markup:
    status = AppealStatus(status)
    css = STATUS_BADGES.get(status, "secondary")
    return Markup(f'<span class="badge badge-status badge-{css}">{escape(enum_label(status))}</span>')


def due_cell(appeal: Appeal, *, control_mark: bool = True) -> Markup:
    """The due date; an earlier control date (a weekend or holiday due date) as a short mark beside it
    (``control_mark=False``: the card, which names the control date in full beside it)."""
    state = deadlines.deadline_state(appeal.due_date, appeal.status)
    texts = cell_texts()
    text = escape(format_date(appeal.due_date))
    control = deadlines.control_date(appeal.due_date)
    if control_mark and control is not None and control != appeal.due_date and appeal.is_open:
        # short, so that the list fits an office screen; the whole date is in the title
        whole = texts["control"] % {"date": format_date(control)}
        short = texts["control_short"] % {"date": control.strftime("%d.%m")}
        text = Markup(f'{text} <small class="portal-control" title="{whole}">{short}</small>')
    if state == "overdue":
        return Markup(f'<span class="portal-overdue" title="{texts["overdue"]}">{text}</span>')
    if state == "near_due":
        return Markup(f'<span class="portal-near-due" title="{texts["near_due"]}">{text}</span>')
    return Markup(text)


def _fmt_reg_number(view, context, model, name):
    return Markup(f'<a href="{escape(view.row_url(".details_view", model.id))}">{escape(model.reg_number)}</a>')


def _fmt_status(view, context, model, name):
    badge = status_badge(model.status)
    left = art5_days_left(model)
    if left is None:
        return badge
    css = "danger" if left < 0 else "warning"
    texts = cell_texts()
    days = texts["art5"] % {"days": left}
    return badge + Markup(f' <span class="badge badge-{css}" title="{texts["art5_title"]}">{days}</span>')


def art5_days_left(appeal: Appeal) -> int | None:
    """Days left to return a registered appeal lacking Art. 5 items (None when it lacks nothing)."""
    if AppealStatus(appeal.status) != AppealStatus.REGISTERED or not registration.completeness_problems(appeal):
        return None
    return deadlines.return_days_left(deadlines.receipt_date(appeal))


def _fmt_due(view, context, model, name):
    return due_cell(model)


def _fmt_privileged(view, context, model, name):
    if not model.is_privileged:
        return ""
    title = cell_texts()["privileged"]
    return Markup(f'<span class="fa fa-star portal-privileged" role="img" title="{title}" aria-label="{title}"></span>')


def _fmt_cut(view, context, model, name):
    """A related record or a label cut to the column's width; the whole text on hover."""
    value = getattr(model, name)
    text = escape("" if value is None else str(value))
    return Markup(f'<span class="portal-cut" title="{text}">{text}</span>')


def _fmt_summary(view, context, model, name):
    text = model.summary or ""
    short = text if len(text) <= 60 else text[:58] + "…"
    return Markup(f'<span class="portal-cut" title="{escape(text)}">{escape(short)}</span>')


# --- work lists ---------------------------------------------------------------------------------

_WORK_STATES = frozenset(s.value for s in OPEN_STATUSES)


# a work list puts privileged applicants first (Art. 20 part 3), then the earliest term (portal.services.worklists)
WORK_LIST_ORDER = worklists.WORK_ORDER
work_list_order = worklists.work_order

_ALL_STATES = tuple(sorted(s.value for s in AppealStatus))
_FINISHED_STATES = frozenset(_ALL_STATES) - _WORK_STATES


def _work_list_states(filters) -> list[str]:
    """The states a list with these active filters ((URL key, raw value), …) can hold, sorted."""
    states = set(_ALL_STATES)
    for key, value in filters:
        if key == "status":
            states &= {value}
        elif key in ("overdue", "near_due") and value == "1":
            states &= _WORK_STATES
        elif key == "open":
            states &= _WORK_STATES if value == "1" else _FINISHED_STATES
    return sorted(states)


def _is_work_list(states: list[str]) -> bool:
    """Is a list that can hold only these states a work queue (appeals awaiting an answer, and only them)?"""
    return bool(states) and _WORK_STATES.issuperset(states)


def _filter_keys(filters) -> list[tuple[str | None, str]]:
    """(URL key, raw value) of active filters given as (filter, raw value), …"""
    return [(getattr(flt, "url_key", None), value) for flt, value in filters]


def merged_work_page(query, rows, states: list[str], page: int, page_size: int):
    """A work-list page of ``query`` over its states: one ordered read per state, merged
    (``worklists.page_ids``); ``rows`` (a query of the page's rows and what they show) reads them
    by id alone (SQLite would start from the list's own WHERE, e.g. every overdue appeal, and
    probe the ids). The order and the rows are those of ``query`` ordered and paged by OFFSET."""
    keys = query.order_by(None).with_entities(Appeal.id, Appeal.is_privileged, Appeal.due_date).statement
    ids = worklists.page_ids(keys, states, page * page_size, page_size)
    return rows.filter(Appeal.id.in_(ids)).order_by(*work_list_order())


# --- the view -----------------------------------------------------------------------------------


def flash_registration(appeal: Appeal, result) -> None:
    """Tell the clerk what registering ``appeal`` found (the form and the e-mail draft alike)."""
    flash(
        _l("Registered as %(number)s, due %(date)s.", number=appeal.reg_number, date=format_date(appeal.due_date)),
        "success",
    )
    if result.repeat_of is not None and appeal.sign == ReceiptSign.DUPLICATE:
        flash(
            _l(
                "The same applicant's appeal on this question is still under consideration (%(number)s): "
                "joined to it as a duplicate (same term, executors and answer).",
                number=result.repeat_of.reg_number,
            ),
            "warning",
        )
    elif result.repeat_of is not None:
        flash(
            _l(
                "The same applicant wrote on this topic within a year (%(number)s): marked as repeated.",
                number=result.repeat_of.reg_number,
            ),
            "warning",
        )
    if result.missing:
        flash(
            _l(
                "The appeal lacks: %(items)s. Return it to the applicant with an explanation (Art. 5).",
                items=", ".join(str(m) for m in registration.describe_missing(result.missing)),
            ),
            "warning",
        )
    if result.not_considered_reason:
        flash(str(result.not_considered_reason), "warning")
    if result.same_ukc_number is not None:
        flash(
            Markup('{} <a href="{}">{}</a>').format(
                _l("This GCC (1545) number is already registered:"),
                url_for("appeal.details_view", id=result.same_ukc_number.id),
                result.same_ukc_number.reg_number,
            ),
            "warning",
        )


# --- the card: what it shows, read in a fixed number of statements ------------------------------


@functools.cache  # built once: building the options costs more than a statement
def card_loads() -> tuple:
    """Loader options for everything the appeal card shows (templates/admin/appeal_details.html and
    appeal_exchange.html, and what ``details_context`` asks): the many-to-one records joined into the
    appeal's row, each collection by one IN query with the records its rows name joined. The card then
    runs the same statements however long the appeal's history is (tests/test_scale_details.py)."""
    return (
        joinedload(Appeal.applicant).joinedload(Applicant.social_status),
        joinedload(Appeal.applicant).joinedload(Applicant.privilege_category),
        joinedload(Appeal.topic),
        joinedload(Appeal.direction),
        joinedload(Appeal.repeat_of),
        joinedload(Appeal.signer),
        joinedload(Appeal.created_by),
        joinedload(Appeal.result_code),
        joinedload(Appeal.main_executor),
        selectinload(Appeal.issues).joinedload(AppealIssue.topic),
        # (the current resolution's own assignments are read only where closing is offered: close_warning;
        # their executors are those of ``assignments``, already in the session)
        selectinload(Appeal.resolutions).joinedload(Resolution.signer),
        selectinload(Appeal.assignments).joinedload(Assignment.executor),
        selectinload(Appeal.answers).options(joinedload(Answer.drafted_by), joinedload(Answer.signed_by)),
        selectinload(Appeal.attachments).joinedload(Attachment.uploaded_by),
        selectinload(Appeal.feedback).joinedload(FeedbackProof.attachment),
        selectinload(Appeal.extensions).joinedload(TermExtension.extended_by),
        selectinload(Appeal.outgoing_mail).selectinload(OutgoingMail.tries),
        selectinload(Appeal.transitions).joinedload(StatusChange.user),
    )


def load_card(appeal_id: int) -> Appeal:
    """The appeal with everything its card shows (the caller has checked the user's scope).

    PostgreSQL: the card's statement joins ten records to the one appeal, each by its key, so
    the order it is written in is its plan; left to choose, the planner weighs the orders for
    3-4 ms (ten times the statement's run). It is told to keep the written order for this
    statement (``join_collapse_limit``, put back right after).
    """
    query = sa.select(Appeal).where(Appeal.id == appeal_id).options(*card_loads())
    postgres = db.session.get_bind().dialect.name == "postgresql"
    if postgres:
        db.session.execute(sa.text("SET LOCAL join_collapse_limit = 1"))
    result = db.session.execute(query.execution_options(populate_existing=True))
    if postgres:
        # not in a finally: a statement that failed aborted the transaction, and the setting ends with it
        db.session.execute(sa.text("SET LOCAL join_collapse_limit = DEFAULT"))
    return result.unique().scalar_one()


class AppealView(PortalModelView):
    area = "appeal"
    logs_personal_data = True
    details_template = "admin/appeal_details.html"
    list_template = "admin/appeal_list.html"
    create_template = "admin/appeal_create.html"

    # list
    simple_list_pager = True
    count_cap = 10_000
    row_relations = ("applicant", "topic", "main_executor")
    search_count_cap = 1_000  # a search by name counts its matches up to here ("more than 1 000")
    column_auto_select_related = False  # get_query loads the related rows with separate IN queries
    column_list = (
        "reg_number",
        "received_at",
        "channel",
        "ukc_number",
        "applicant",
        "is_privileged",
        "summary",
        "topic",
        "status",
        "due_date",
        "main_executor",
    )
    # the columns shown until a user chooses (the column chooser); at 1280 px the due date and the
    # executor fit without sideways scrolling. The registration number opens the card: always shown.
    column_default_visible = (
        "reg_number",
        "received_at",
        "ukc_number",
        "applicant",
        "is_privileged",
        "summary",
        "topic",
        "status",
        "due_date",
        "main_executor",
    )
    column_required = ("reg_number",)
    column_sortable_list = (
        "reg_number",
        "received_at",
        "registered_at",
        "channel",
        "is_privileged",
        "status",
        "due_date",
    )
    column_default_sort = [("registered_at", True), ("id", True)]
    column_searchable_list = ("reg_number", "ukc_number", "regional_number")
    column_formatters = {
        "reg_number": _fmt_reg_number,
        "status": _fmt_status,
        "due_date": _fmt_due,
        "is_privileged": _fmt_privileged,
        "summary": _fmt_summary,
        "applicant": _fmt_cut,
        "topic": _fmt_cut,
        "channel": _fmt_cut,
        "main_executor": _fmt_cut,
    }
    column_formatters_export: dict = {}
    column_export_list = (
        "reg_number",
        "received_at",
        "registered_at",
        "channel",
        "ukc_number",
        "ukc_date",
        "regional_number",
        "regional_date",
        "sender_email",
        "applicant",
        "is_privileged",
        "appeal_type",
        "subject",
        "sign",
        "topic",
        "direction",
        "summary",
        "status",
        "due_date",
        "main_executor",
        "outgoing_number",
        "sent_at",
        "delivery_status",
        "paper_copy_sent_on",
        "result_code",
        "closed_at",
    )
    column_labels = {
        "main_executor": _l("Executor of record"),
        "is_privileged": _l("Privileged"),
        "channel": _l("Received via"),
        "reg_number": _l("Reg. No."),
    }

    # forms: status and everything the workflow sets are not editable here
    form_columns = (
        "channel",
        "ukc_number",
        "ukc_date",
        "regional_number",
        "regional_date",
        "sender_email",
        "applicant",
        "appeal_type",
        "subject",
        "sign",
        "topic",
        "summary",
        "content",
        "signed_by_applicant",
        "repeat_of",
    )
    form_overrides = {
        "channel": enum_select(Channel),
        "appeal_type": enum_select(AppealType),
        "subject": enum_select(AppealSubject),
        "sign": enum_select(ReceiptSign),
        "content": TextAreaField,
    }
    form_args = {
        "subject": {"default": AppealSubject.INDIVIDUAL.value},
        "sign": {
            "default": ReceiptSign.PRIMARY.value,
            "description": _l(
                "A repeat of an appeal of the same applicant on the same topic within a year "
                "is found and marked at registration."
            ),
        },
        "summary": {"validators": [InputRequired(), Length(max=500)]},
        "applicant": {"description": _l("Pick a known applicant, or leave empty and fill in a new one below.")},
    }
    form_widget_args = {"content": {"rows": 6}}
    form_ajax_refs = {"applicant": ApplicantLoader(), "topic": TopicLoader(), "repeat_of": AppealLoader()}
    _registration_fields = (
        "channel",
        "ukc_number",
        "ukc_date",
        "regional_number",
        "regional_date",
        "sender_email",
        "appeal_type",
        "subject",
        "sign",
        "topic",
        "summary",
        "content",
        "signed_by_applicant",
        "repeat_of",
    )
    form_edit_rules = (
        rules.FieldSet(_registration_fields, _l("Appeal")),
        rules.FieldSet(("applicant",), _l("Applicant")),
    )
    form_create_rules = (
        rules.FieldSet(("received_at",) + _registration_fields, _l("Appeal")),
        rules.FieldSet(("needs_study", "requested_term_days"), _l("Term")),
        rules.FieldSet(
            (
                "applicant",
                "new_applicant_name",
                "new_applicant_address",
                "new_applicant_phone",
                "new_applicant_email",
                "new_applicant_sex",
                "new_applicant_social_status",
                "new_applicant_privilege",
            ),
            _l("Applicant"),
        ),
    )

    # custom routes → permission action (the workflow service then checks the specific step)
    extra_view_actions = {
        "transition_view": "details",
        "attach_view": "attach",
        "download_view": "details",
        "card_document_view": "details",
        "columns_view": "list",
        "export_full_view": "export",
    }
    action_permissions: dict = {}

    def __init__(self, model, *args, **kwargs):
        self.column_filters = list_filters(open_only=self._lists_open_appeals)
        super().__init__(model, *args, **kwargs)

    # --- queries --------------------------------------------------------------------------
    def scope_query(self, query):
        return scope_appeals(query, current_user, open_only=self._lists_open_appeals())

    def _lists_open_appeals(self) -> bool:
        """Does this request list (or export) appeals whose filters admit open states only (a work list)?

        An executor's scope then reads the body's open assignments alone (``scope.appeal_scope_clause``);
        a details page, a bulk action or a picker keeps the whole scope.
        """
        if not has_request_context() or request.endpoint not in (
            f"{self.endpoint}.index_view",
            f"{self.endpoint}.export",
        ):
            return False
        return self._work_list()

    def get_query(self):
        query = super().get_query().options(*self.row_loads())
        if has_request_context() and "sort" not in request.args and self._work_list():
            # a work list (open, overdue, due soon, an open state) puts privileged applicants first
            # (Art. 20 part 3), then the earliest term: the control date follows the due date's order
            query = query.order_by(*work_list_order())
        return query

    def one_query(self):
        # the scope alone: the card (load_card) and the forms load what they show themselves
        return super().get_query()

    def seekable(self, sort_column) -> bool:
        # a work list keeps its legal order (privileged first, then the earliest term: get_query), by OFFSET
        return bool(sort_column) or not (has_request_context() and self._work_list())

    def paginate(self, query, page, page_size):
        paged = super().paginate(query, page, page_size)
        if paged is not None or "sort" in request.args or not self._work_list():
            return paged
        size = self.page_size if page_size is None else page_size
        if not size:
            return None
        # one state too (a work list has at least one): its page's ids first (an index range of the state, in the
        # legal order), then the rows. Read in one statement with the rows' joins, an executor's page of one state
        # was planned from the body's open assignments (PostgreSQL expects few of them in any one state) and
        # sorted them all.
        rows = db.session.query(Appeal).options(*(joinedload(getattr(Appeal, n)) for n in self.row_relations))
        return merged_work_page(query, rows, self._list_states(), page or 0, size)

    def _list_states(self) -> list[str]:
        """The states this request's list can hold by its filters."""
        return _work_list_states(_filter_keys(compat.active_filters(self)))

    def _work_list(self) -> bool:
        """Is this request's list a work queue (its filters allow only states awaiting an answer)?"""
        return _is_work_list(self._list_states())

    def get_filter_arg(self, index, flt):
        return getattr(flt, "url_key", None) or str(index)

    def search_placeholder(self):
        return str(_l("Reg. No., GCC No., regional No. or applicant's name"))

    def search_query(self, query, term):
        if self._joined_search(term):
            return search.joined_search(query, term, db.session.get_bind().dialect.name)
        return query.filter(registration.search_clause(term))

    def _joined_search(self, term: str | None) -> bool:
        """A search by words alone reads the full-text index in its own order (see ``seek_key``)."""
        return (
            bool(term)
            and db.session.get_bind().dialect.name in ("sqlite", "postgresql")
            and search.words_only(term or "")
        )

    def seek_key(self):
        """With a search by words and no sort chosen: the newest registered first, in the full-text index's order.

        Appeal ids follow registration (every appeal gets its id when it is registered), so the
        index's rowid order is the register's; a page then reads only the matches it shows.
        """
        if not self._joined_search(request.args.get("search")):
            return None
        return search.search_key(db.session.get_bind().dialect.name)

    def counted_seek(self, seek):
        """A search by words that found few matches (counted exactly, below the cap) on PostgreSQL: its page
        takes them all from the GIN index and sorts them.

        The planner otherwise walks the register backwards from the newest appeal checking each
        one's vector whenever it expects the word to be common, and its estimate for a word its
        statistics do not hold is a fixed share of the table: a word found a few times in ten
        million appeals took 27 s. Ordered by an expression of the key instead of the key, the
        walk is not a plan it can take; the order is the same.
        """
        count = g.get("list_count")
        if (
            seek.key is not None
            and count is not None
            and count[1]
            and not g.get("list_count_estimated")
            and db.session.get_bind().dialect.name == "postgresql"
        ):
            seek.key = seek.key + 0
        return seek

    def count_rows(self, query, cap):
        """A search by words with nothing else narrowing the list (no filter, a user who sees the whole
        register) counts the search index's matches alone.

        Every document of the index is one appeal's, so the matches are the list's rows; joined to
        their appeals, counting 10,001 of a common surname's matches at a million appeals took
        ~10 ms (a lookup of each appeal), the index alone ~1 ms.
        """
        term = request.args.get("search")
        if self._joined_search(term) and not compat.active_filters(self) and scope_terms(current_user) is None:
            matches = search.matching_ids(term or "", db.session.get_bind().dialect.name)
            if matches is not None:
                return paging.capped_rows(matches, cap)
        return super().count_rows(query, cap)

    def list_count_cap(self) -> int | None:
        return self.search_count_cap if (request.args.get("search") or "").strip() else self.count_cap

    def list_count_estimable(self) -> bool:
        # a search by words on PostgreSQL: counting a common word's matches reads all of them from the GIN index
        return self._joined_search(request.args.get("search")) and db.session.get_bind().dialect.name == "postgresql"

    # --- exports: a file at once up to EXPORT_MAX_ROWS rows; the whole list by a background job ----
    @expose("/export/<export_type>/")
    def export(self, export_type):
        """The list's CSV; a list longer than the cap is offered as a background export instead.

        ``capped=1`` (the offer's second choice) downloads the first rows at once all the same.
        """
        if export_type == "csv" and self.can_export and not request.args.get("capped") and self.export_exceeds_cap():
            flash(self.full_export_offer(), "warning")
            return redirect(self.list_url())
        return super().export(export_type)

    def list_url(self, **extra) -> str:
        """This list's URL with the current search, filters and sorting (``extra`` added)."""
        args = {k: v for k, v in request.args.items() if k not in ("capped", "after", "before", "page")}
        return self.get_url(".index_view", **args, **extra)

    def export_exceeds_cap(self) -> bool:
        """Has the current list more rows than an export downloads at once? (counts at most cap + 1)"""
        args = compat.list_args(self)
        _count, query = self.get_list(
            0, args.sort_column, args.sort_desc, args.search, args.filters, execute=False, page_size=0
        )
        return not paging.capped_count(query, Appeal.id, self.export_max_rows)[1]

    def full_export_offer(self) -> Markup:
        """The message offering the whole list as a background export (or the first rows at once)."""
        cap = f"{self.export_max_rows:,}".replace(",", " ")  # as the list writes its counts
        args = {k: v for k, v in request.args.items() if k not in ("capped", "after", "before", "page")}
        parts = [
            escape(_l("The list holds more than %(n)s appeals: a file downloaded at once stops there.", n=cap)),
        ]
        if runs.may_request(current_user, ReportKind.REGISTER_EXPORT):
            parts.append(
                Markup(
                    '<form method="post" action="{action}" class="d-inline portal-full-export">'
                    '<input type="hidden" name="csrf_token" value="{csrf}">'
                    '<button type="submit" class="btn btn-primary btn-sm">{label}</button></form>'
                ).format(
                    action=self.get_url(".export_full_view", **args),
                    csrf=generate_csrf(),
                    label=_l("Prepare the full export in the background"),
                )
            )
        parts.append(
            Markup('<a class="btn btn-link btn-sm" href="{url}">{label}</a>').format(
                url=self.get_url(".export", export_type="csv", capped=1, **args),
                label=_l("Download the first %(n)s rows now", n=cap),
            )
        )
        return Markup(" ").join(parts)

    def register_export_params(self) -> dict:
        """The current list's search, filters and sorting, as a register-export run records them."""
        args = compat.list_args(self)
        return {
            "search": args.search or "",
            "filters": [[flt.url_key, value] for flt, value in compat.active_filters(self)],
            "sort": args.sort_column or "",
            "desc": bool(args.sort_desc),
        }

    @expose("/export/full/", methods=("POST",))
    def export_full_view(self):
        """Start the background export of the whole list (its search, filters and sorting; the user's scope)."""
        try:
            run = runs.request_report(ReportKind.REGISTER_EXPORT, self.register_export_params(), current_user)
        except DomainError as exc:
            flash(str(exc), "error")
            return redirect(self.list_url())
        audit.log_event_now(
            AuditAction.EXPORT,
            model=self.area,
            record_id=None,
            detail=f"csv (job, report run {run.id}) {request.query_string.decode()[:500]}",
        )
        flash(
            _l(
                "The full export is being prepared in the background (%(title)s); "
                "download it from Reports when it is ready.",
                title=run.title,
            ),
            "info",
        )
        return redirect(url_for("report.index_view"))

    def register_list_query(self, params: dict) -> register_export.ListQuery:
        """The list a register-export run describes: what ``export`` would stream for the same URL.

        The search and the filters are this list's own (validated again: a filter's options may
        have changed since); the order is the list's, the id last so that the job reads by keyset.
        """
        probe = sa.select(Appeal.id)
        if params.get("search"):  # the same matches as the list's (joined) search, as a WHERE clause
            probe = probe.where(registration.search_clause(params["search"]))
        by_key = filter_args(self)
        filters = params.get("filters") or []
        for key, raw in filters:
            flt = by_key.get(key)
            try:
                valid = flt is not None and bool(flt.validate(raw)) and self.accept_filter(flt, raw)
            except (LookupError, ValueError, TypeError, ArithmeticError):
                valid = False
            if not valid:
                raise DomainError(_l("A filter of the list is no longer valid: %(value)s.", value=str(raw)[:100]))
            assert flt is not None  # valid
            probe = flt.apply(probe, flt.clean(raw))
        sort = params.get("sort") or ""
        if sort and sort in self.column_sortable_list:
            desc = bool(params.get("desc"))
            order = [(getattr(Appeal, sort), desc), (Appeal.id, desc)]
        elif _is_work_list(_work_list_states(filters)):
            order = list(WORK_LIST_ORDER)
        else:
            order = [(getattr(Appeal, name), desc) for name, desc in self.column_default_sort]
        return register_export.ListQuery(columns=self.get_export_columns(), where=probe.whereclause, order=order)

    # --- registration and edits -------------------------------------------------------------
    def get_create_form(self):
        return registration_form(self.get_form())

    def on_model_change(self, form, model, is_created):
        if is_created:
            with db.session.no_autoflush:
                self._attach_new_applicant(form, model)
            result = registration.register_appeal(
                model,
                user=current_user,
                needs_study=bool(form.needs_study.data),
                requested_term_days=form.requested_term_days.data or None,
                received_at=form.received(),
            )
            g.appeal_registration = result
            return
        if workflow.is_sealed(model):
            raise DomainError(_l("A closed or cancelled appeal is sealed and cannot be edited."))
        history = sa.inspect(model).attrs.status.history
        if history.has_changes():
            raise DomainError(_l("The state of an appeal changes only through its workflow actions."))
        registration.refresh_derived(model)

    def _attach_new_applicant(self, form, model):
        typed = (form.new_applicant_name.data or "").strip()
        if model.applicant is not None:
            if typed:
                raise DomainError(_l("Either pick a known applicant or fill in a new one, not both."))
            return
        if not typed:
            return
        model.applicant = registration.new_applicant(
            full_name=typed,
            address=form.new_applicant_address.data or "",
            phone=form.new_applicant_phone.data or "",
            email=form.new_applicant_email.data or "",
            sex=Sex(form.new_applicant_sex.data or Sex.UNKNOWN.value),
            social_status=form.new_applicant_social_status.data,
            privilege_category=form.new_applicant_privilege.data,
        )

    def after_model_change(self, form, model, is_created):
        result = g.pop("appeal_registration", None)
        if is_created and result is not None:
            flash_registration(model, result)

    def get_save_return_url(self, model, is_created=False):
        return self.get_url(".details_view", id=model.id)

    def frozen_reason(self, model):
        # a closed or cancelled appeal is sealed: only the director's "reopen" step changes it
        if workflow.is_sealed(model):
            return _l("A closed or cancelled appeal is sealed and cannot be edited.")
        return None

    def on_model_delete(self, model):
        # no role holds "delete" on appeals; this is the last line should one ever be granted
        raise DomainError(_l("Appeals are never deleted: the director cancels a wrong registration."))

    # --- the appeal card ------------------------------------------------------------------------
    def render(self, template, **kwargs):
        model = kwargs.get("model")
        if template == self.details_template and model is not None:
            appeal_id = model.id  # read before the commits below expire the row
            # the user opened the appeal: what the bell said about it is read (before the top bar is drawn)
            if notifications.mark_read(current_user, appeal_id):
                db.session.commit()
            # the page's writes come first: each commit expires what was loaded, the card is loaded after them
            self.log_personal_data_view(model)
            model = kwargs["model"] = load_card(appeal_id)
            kwargs.update(self.details_context(model))
        if template == self.list_template and "list_columns" in kwargs:
            kwargs.update(self.column_chooser_context(kwargs["list_columns"]))
        return super().render(template, **kwargs)

    # --- the list's columns, chosen per user ------------------------------------------------------
    def column_chooser_context(self, all_columns) -> dict:
        """The list's columns as this user chose them, and what the chooser offers."""
        available = [name for name, _label in all_columns]
        shown = preferences.list_columns(current_user, self.endpoint, available, self.column_default_visible)
        return {
            "list_columns": [(name, label) for name, label in all_columns if name in shown],
            "column_choices": [
                (name, label, name in shown, name in self.column_required) for name, label in all_columns
            ],
        }

    @expose("/columns/", methods=("POST",))
    def columns_view(self):
        """Remember the columns the user ticked in the chooser (``reset`` returns to the defaults)."""
        available = [name for name, _label in self.get_list_columns()]
        chosen = [] if request.form.get("reset") else request.form.getlist("column")
        try:
            preferences.set_list_columns(current_user, self.endpoint, chosen, available, self.column_required)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        return redirect(safe_next(request.form.get("url"), self.get_url(".index_view")))

    def details_context(self, appeal: Appeal) -> dict:
        actions = workflow.available_actions(current_user, appeal)
        refused = g.get("refused_action") or {}  # a refused step's form, with what was typed
        status = AppealStatus(appeal.status)
        return {
            "status_badge": status_badge(appeal.status),
            "due_cell": due_cell(appeal, control_mark=False),
            "deadline_state": deadlines.deadline_state(appeal.due_date, appeal.status),
            "days_left": deadlines.days_left(appeal.due_date),
            "latest_due": deadlines.latest_due_date(deadlines.receipt_date(appeal)),
            "receipt_date": deadlines.receipt_date(appeal),
            "control_date": deadlines.control_date(appeal.due_date),
            "art5_days_left": art5_days_left(appeal),
            "return_deadline": deadlines.return_deadline(deadlines.receipt_date(appeal)),
            "answered_on": deadlines.answered_on(appeal),
            "on_time": deadlines.is_on_time(appeal),
            "sealed": workflow.is_sealed(appeal),
            "missing": (
                registration.describe_missing(registration.completeness_problems(appeal))
                if status == AppealStatus.REGISTERED
                else []
            ),
            "not_considered_hint": (
                registration.not_considered_reason(appeal) if status == AppealStatus.REGISTERED else None
            ),
            "show_personal": can(current_user, "appeal", "view_personal_data"),
            "actions": [
                (a, workflow.action_label(a), refused.get(a) or build_action_form(a, appeal, user=current_user))
                for a in actions
            ],
            "refused_action": next(iter(refused), None),
            "confirm_actions": self.confirm_texts(appeal, actions),
            "action_files": ACTION_FILES,
            "attach_form": AttachForm() if workflow.can_attach(current_user, appeal) else None,
            "max_upload_mb": round(attachments.max_bytes() / 1024 / 1024, 1),
            "responsible": workflow.responsible_assignment(appeal),
        }

    @staticmethod
    def confirm_texts(appeal: Appeal, actions) -> dict:
        """The question each irreversible step asks; closing names the co-executors who never reported."""
        texts = dict(CONFIRM_ACTIONS)
        if "close" in actions:
            warning = workflow.close_warning(appeal)
            if warning:
                texts["close"] = texts["close_warning"] = warning
        return texts

    def _appeal_from_form(self) -> Appeal:
        appeal = self.get_one(request.form.get("id", ""))
        if appeal is None:
            abort(404)
        return appeal

    def _back(self, appeal: Appeal):
        if can_see_appeal(current_user, appeal):
            return redirect(self.get_url(".details_view", id=appeal.id))
        return redirect(self.get_url(".index_view"))

    @expose("/transition/", methods=("POST",))
    def transition_view(self):
        appeal = self._appeal_from_form()
        action = request.form.get("action", "")
        if action not in ACTION_FORMS:
            abort(400)
        if not self.allowed(action):
            return self.deny()
        form = build_action_form(action, appeal, CombinedMultiDict([request.form, request.files]), user=current_user)
        if not form.validate():
            flash(_l("The step was not done: correct the fields marked below."), "error")
            return self._refused(appeal, action, form)
        saved = []
        upload = request.files.get("file")
        try:
            params = form.params()
            if action in ACTION_FILES and upload is not None and upload.filename:
                saved.append(attachments.save_upload(appeal, upload, kind=ACTION_FILES[action], user=current_user))
                if action == "draft":
                    params["feedback_attachment"] = saved[-1]
            workflow.perform(current_user, appeal, action, **params)
            db.session.commit()
        except workflow.NotAllowed:
            self._discard(saved)
            return self.deny()
        except DomainError as exc:
            self._discard(saved)
            flash(str(exc), "error")
            field = getattr(exc, "field", None)
            if field and field in form:
                form[field].errors = [*form[field].errors, str(exc)]
            if upload is not None and upload.filename:
                flash(_l("Choose the file again: a browser never keeps a chosen file."), "warning")
            return self._refused(appeal, action, form)
        flash(_l("Done: %(action)s.", action=workflow.action_label(action)), "success")
        return self._back(appeal)

    def _refused(self, appeal: Appeal, action: str, form):
        """The card again, the refused step's form open with what was typed and its messages."""
        appeal = self.get_one(str(appeal.id)) or appeal  # reloaded after a rollback
        g.refused_action = {action: form}
        return self.render(
            self.details_template,
            model=appeal,
            details_columns=compat.details_columns(self),
            get_value=self.get_detail_value,
            return_url=self.get_url(".index_view"),
        )

    def _discard(self, saved):
        db.session.rollback()
        attachments.discard_uploads(saved)

    @expose("/attach/", methods=("POST",))
    def attach_view(self):
        appeal = self._appeal_from_form()
        if not workflow.can_attach(current_user, appeal):
            return self.deny()
        form = AttachForm(CombinedMultiDict([request.form, request.files]))
        saved = []
        try:
            if not form.validate():
                raise DomainError("; ".join(form_errors(form)))
            saved.append(
                attachments.save_upload(appeal, request.files.get("file"), kind=form.kind.data, user=current_user)
            )
            db.session.commit()
        except DomainError as exc:
            self._discard(saved)
            flash(str(exc), "error")
        else:
            flash(_l("File attached: %(name)s.", name=saved[0].filename), "success")
        return self._back(appeal)

    @expose("/attachment/<int:attachment_id>")
    def download_view(self, attachment_id: int):
        attachment = db.session.get(Attachment, attachment_id)
        if attachment is None:
            abort(404)
        if self.get_one(str(attachment.appeal_id)) is None:
            return self.deny()
        try:
            path = attachments.path_of(attachment)
        except DomainError:
            abort(404)
        if not os.path.exists(path):
            abort(404)
        audit.log_event_now(
            AuditAction.DOWNLOAD,
            model="Attachment",
            record_id=attachment.id,
            label=f"{attachment.appeal}: {attachment.filename}",
        )
        return send_file(
            path, mimetype=attachment.content_type, as_attachment=True, download_name=attachment.filename, max_age=0
        )

    @expose("/card/")
    def card_document_view(self):
        """The registration-and-control card (РКК) as DOCX; the applicant's data only for roles that see it."""
        appeal = self.get_one(request.args.get("id", ""))
        if appeal is None:
            abort(404)
        show_personal = can(current_user, "appeal", "view_personal_data") and appeal.applicant is not None
        data = registration_card.render(appeal, show_personal=show_personal)
        audit.log_event_now(
            AuditAction.DOWNLOAD, model="Appeal", record_id=appeal.id, label=str(appeal), detail="registration card"
        )
        if show_personal:
            audit.log_event_now(AuditAction.VIEW_PERSONAL_DATA, model="Appeal", record_id=appeal.id, label=str(appeal))
        return send_file(
            io.BytesIO(data),
            mimetype=registration_card.DOCX_MIMETYPE,
            as_attachment=True,
            download_name=registration_card.filename(appeal),
            max_age=0,
        )


def register(admin) -> None:
    from admin_views.menu import CATEGORY_APPEALS

    view = AppealView(Appeal, name=_l("Appeals"), category=CATEGORY_APPEALS)
    admin.add_view(view)
    # the register's full export (a job) reads the list as this screen defines it
    admin.app.extensions[register_export.LIST_QUERY] = view.register_list_query
