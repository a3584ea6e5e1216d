"""Report runs: the list with live progress, a form to start one, details, the weekly page, downloads."""

from __future__ import annotations

import os

from flask import abort, flash, g, jsonify, redirect, request, send_file, url_for
from flask_admin import expose
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import NumberRange, Optional

from admin_views.base import PortalModelView
from portal.auth.permissions import can
from portal.extensions import db
from portal.labels import enum_label
from portal.models.enums import AuditAction, JobState, ReportKind
from portal.models.reports import ReportRun
from portal.queue import worker_count
from portal.reports import quarterly, runs, weekly
from portal.reports.weekly import Week
from portal.services import audit, scope
from portal.services.errors import DomainError

ACTIVE = (JobState.QUEUED, JobState.STARTED)


class ReportRequestForm(FlaskForm):
    kind = SelectField(_l("Report"), choices=[])
    # the recent weeks to pick from (weekly.week_choices); the value is the ISO week that Week.parse reads,
    # and a week given otherwise (the URL) is checked there, with its message
    week = SelectField(_l("Week"), choices=[], validate_choice=False)
    # checked by the report itself (a clear message; the other kinds ignore it)
    channel = SelectField(_l("Appeals received via"), choices=[], validate_choice=False)
    year = IntegerField(_l("Budget year"), validators=[Optional(), NumberRange(2000, 2100)])
    quarter = StringField(_l("Quarter or year"), description=_l("For example 2026-Q1, or 2026 for the whole year"))


def weekly_channel_choices() -> list[tuple[str, str]]:
    """The weekly analysis's channels: the GCC's first (the default), the others, then all of them."""
    from portal.models.enums import Channel

    first = weekly.UKC_CHANNEL
    ordered = [first] + [c for c in Channel if c != first]
    return [(c.value, str(enum_label(c))) for c in ordered] + [(weekly.ALL_CHANNELS, str(_l("All channels")))]


def _progress(view, context, model, name):
    state = JobState(model.state)
    css = {JobState.FINISHED: "bg-success", JobState.FAILED: "bg-danger"}.get(state, "progress-bar-striped")
    percent = 100 if state == JobState.FINISHED else int(model.progress or 0)
    return Markup(
        '<div class="progress report-progress" data-run-id="{id}" data-state="{state}">'
        '<div class="progress-bar {css}" role="progressbar" style="width: {pct}%" aria-valuenow="{pct}" '
        'aria-valuemin="0" aria-valuemax="100" aria-label="{label}">{pct}%</div></div>'
    ).format(id=model.id, state=state.value, css=css, pct=percent, label=_l("Progress"))


def _state(view, context, model, name):
    state = JobState(model.state)
    badge = {
        JobState.QUEUED: "secondary",
        JobState.STARTED: "info",
        JobState.FINISHED: "success",
        JobState.FAILED: "danger",
    }[state]
    out = Markup('<span class="badge badge-{b}">{label}</span>').format(b=badge, label=str(enum_label(state)))
    if model.message and state != JobState.FINISHED:
        out += Markup('<div class="small text-muted">{}</div>').format(model.message[:200])
    return out


def _file(view, context, model, name):
    if JobState(model.state) != JobState.FINISHED or not runs.may_download(current_user, model):
        return ""
    return Markup(
        '<a class="btn btn-sm btn-outline-primary" href="{url}"><span class="fa fa-download"></span> {kind}</a>'
    ).format(url=url_for(".download_view", run_id=model.id), kind=runs.file_extension(model).upper())


def _requested_by(view, context, model, name):
    if model.requested_by is not None:
        return str(model.requested_by)
    return str(_l("Schedule")) if model.params.get("scheduled") else str(_l("Command line"))


class ReportView(PortalModelView):
    area = "report"
    extra_view_actions = {
        "download_view": "download",
        "weekly_view": "details",
        "quarterly_view": "details",
        "status_view": "list",
    }
    action_permissions: dict[str, str] = {}

    list_template = "admin/report_list.html"
    details_template = "admin/report_details.html"
    create_template = "admin/report_create.html"

    column_list = ("created_at", "kind", "title", "state", "progress", "requested_by", "file_path")
    column_details_list = (
        "created_at",
        "kind",
        "title",
        "state",
        "progress",
        "message",
        "requested_by",
        "finished_at",
        "file_path",
    )
    column_filters = ("kind", "state")
    column_default_sort = ("id", True)
    column_formatters = {"progress": _progress, "state": _state, "file_path": _file, "requested_by": _requested_by}
    column_formatters_detail = {"progress": _progress, "file_path": _file, "requested_by": _requested_by}
    column_labels = {"created_at": _l("Requested at")}
    can_set_page_size = False

    # --- scope: only the kinds the user may see ---------------------------------------
    def scope_query(self, query):
        return query.filter(runs.visible_runs_clause(current_user))

    # --- list: tell when no worker listens (runs whose job vanished are the worker's to fail) --
    @expose("/")
    def index_view(self):
        g.report_workers = worker_count()
        return super().index_view()

    def render(self, template, **kwargs):
        kwargs.setdefault("workers", g.get("report_workers"))
        kwargs.setdefault("weekly_allowed", self._weekly_allowed())
        kwargs.setdefault("quarterly_allowed", ReportKind.QUARTERLY in runs.visible_kinds(current_user))
        # the reports a reader sees hold only the appeals the reader may open: say so
        kwargs.setdefault("scope_note", scope.describe(scope.scope_terms(current_user)))
        return super().render(template, **kwargs)

    def _weekly_allowed(self) -> bool:
        return ReportKind.WEEKLY in runs.visible_kinds(current_user)

    # --- start a report ----------------------------------------------------------------
    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        form = ReportRequestForm()
        form.kind.choices = [(k.value, str(enum_label(k))) for k in runs.runnable_kinds(current_user)]
        form.channel.choices = weekly_channel_choices()
        if request.method == "GET":
            form.kind.data = request.args.get("kind") or (form.kind.choices[0][0] if form.kind.choices else "")
            form.week.data = request.args.get("week") or str(Week.last_complete())
            form.channel.data = request.args.get("channel") or weekly.channel_param(weekly.UKC_CHANNEL)
            form.quarter.data = request.args.get("quarter") or str(quarterly.Period.last_complete())
        form.week.choices = weekly.week_choices(form.week.data or "")
        if form.validate_on_submit():
            params = {
                "week": form.week.data,
                "channel": form.channel.data,
                "year": form.year.data,
                "quarter": form.quarter.data,
            }
            try:
                run = runs.request_report(form.kind.data, params, current_user)
            except DomainError as exc:
                db.session.rollback()
                flash(str(exc), "error")
            else:
                flash(_l("The report is queued: %(title)s", title=run.title), "success")
                return redirect(url_for(".details_view", id=run.id))
        return self.render(self.create_template, form=form, return_url=url_for(".index_view"))

    # --- live progress for the list's script -------------------------------------------
    @expose("/status/")
    def status_view(self):
        ids = [int(i) for i in request.args.get("ids", "").split(",") if i.strip().isdigit()][:100]
        query = self.scope_query(db.session.query(ReportRun)).filter(ReportRun.id.in_(ids))
        return jsonify(
            {str(r.id): {"state": JobState(r.state).value, "progress": r.progress, "message": r.message} for r in query}
        )

    # --- the file ------------------------------------------------------------------------
    @expose("/download/<int:run_id>")
    def download_view(self, run_id: int):
        # a run of a kind the role may not see is not found, as on the list and details pages
        run = self.scope_query(db.session.query(ReportRun)).filter(ReportRun.id == run_id).one_or_none()
        if run is None:
            abort(404)
        if not runs.may_download(current_user, run):
            return self.deny()
        if JobState(run.state) != JobState.FINISHED or not run.file_path or not os.path.isfile(run.file_path):
            abort(404)
        audit.log_event_now(
            AuditAction.DOWNLOAD,
            model="ReportRun",
            record_id=run.id,
            label=run.title,
            detail=os.path.basename(run.file_path),
        )
        return send_file(
            run.file_path,
            mimetype=runs.mimetype(run),
            as_attachment=True,
            download_name=runs.download_name(run),
            max_age=0,
        )

    # --- the weekly analysis on screen -------------------------------------------------------
    @expose("/weekly/")
    def weekly_view(self):
        if not self._weekly_allowed():
            return self.deny()
        text = request.args.get("week") or str(Week.last_complete())
        channel_text = request.args.get("channel") or weekly.channel_param(weekly.UKC_CHANNEL)
        analysis, error = None, None
        try:
            with scope.reading_as(current_user):
                analysis = weekly.analyse(Week.parse(text), channel=weekly.parse_channel(channel_text))
        except DomainError as exc:
            error = str(exc)
        from portal.labels import field_labels
        from portal.models.appeals import Appeal

        following = weekly.next_week(analysis.week) if analysis else None
        return self.render(
            "admin/report_weekly.html",
            analysis=analysis,
            charts=weekly.chart_data(analysis) if analysis else {},
            week_choices=weekly.week_choices(str(analysis.week) if analysis else text),
            next_week=str(following) if following else None,
            week_text=text,
            channel_text=channel_text,
            channel_choices=weekly_channel_choices(),
            error=error,
            labels=field_labels(Appeal),
            can_run=can(current_user, "report", "create") and ReportKind.WEEKLY in runs.runnable_kinds(current_user),
        )

    # --- the quarterly statistics on screen ----------------------------------------------------
    @expose("/quarterly/")
    def quarterly_view(self):
        if ReportKind.QUARTERLY not in runs.visible_kinds(current_user):
            return self.deny()
        text = request.args.get("quarter") or str(quarterly.Period.last_complete())
        stats, error = None, None
        try:
            with scope.reading_as(current_user):
                stats = quarterly.analyse(quarterly.Period.parse(text))
        except DomainError as exc:
            error = str(exc)
        return self.render(
            "admin/report_quarterly.html",
            stats=stats,
            quarter_text=text,
            error=error,
            title=quarterly.title(stats.period) if stats else "",
            can_run=ReportKind.QUARTERLY in runs.runnable_kinds(current_user),
        )


def register(admin) -> None:
    from admin_views.menu import CATEGORY_REPORTS

    admin.add_view(ReportView(ReportRun, name=_l("Reports"), category=CATEGORY_REPORTS))
