"""Row-level scope: an executor sees only its own body's appeals, a signer only their area's —
in lists, counts, details, edits, deletes, bulk actions, inline edits, exports, pickers and downloads."""

from __future__ import annotations

import io

import pytest
from flask_login import current_user, login_user
from werkzeug.datastructures import FileStorage

from admin_views.base import PortalModelView
from portal.extensions import db
from portal.models import Assignment, Executor
from portal.models.audit import AuditLog
from portal.models.enums import AppealStatus, AuditAction, Role
from portal.services import attachments
from portal.services.errors import DomainError
from tests import factories as f
from tests.conftest import post_form


@pytest.fixture
def world():
    """Two executor bodies with an appeal each, an unassigned appeal, and two directions."""
    mine, theirs = f.make_executor(name="Мій департамент"), f.make_executor(name="Чужий департамент")
    home, away = f.make_direction(), f.make_direction()
    own = f.make_appeal(reg_number="OWN-1/26", direction=home, status=AppealStatus.IN_WORK)
    f.make_assignment(own, mine)
    foreign = f.make_appeal(reg_number="FOREIGN-2/26", direction=away, status=AppealStatus.IN_WORK)
    f.make_assignment(foreign, theirs)
    loose = f.make_appeal(reg_number="LOOSE-3/26", direction=away)
    db.session.commit()
    return {"mine": mine, "theirs": theirs, "home": home, "away": away, "own": own, "foreign": foreign, "loose": loose}


def _numbers(html: str) -> set[str]:
    return {n for n in ("OWN-1/26", "FOREIGN-2/26", "LOOSE-3/26") if n in html}


def _appeal_view(app):
    return next(v for v in app.extensions["admin"][0].registry.values() if v.endpoint == "appeal")


# --- the executor ------------------------------------------------------------------------------


def test_executor_list_shows_only_own_body_appeals(client, auth, world):
    auth.as_role(Role.EXECUTOR, executor=world["mine"])
    assert _numbers(client.get("/admin/appeal/").get_data(as_text=True)) == {"OWN-1/26"}


def test_executor_search_does_not_reach_other_appeals(client, auth, world):
    auth.as_role(Role.EXECUTOR, executor=world["mine"])
    html = client.get("/admin/appeal/", query_string={"search": "FOREIGN-2"}).get_data(as_text=True)
    assert _numbers(html) == set()


def test_executor_counts_only_own_body_appeals(app, world):
    user = f.make_user(Role.EXECUTOR, executor=world["mine"])
    view = _appeal_view(app)
    with app.test_request_context("/admin/appeal/"):
        login_user(user)
        assert view.get_count_query().scalar() == 1
        assert view.get_query().count() == 1
        assert view.get_one(str(world["foreign"].id)) is None
        assert view.get_one(str(world["own"].id)) is world["own"]


def test_executor_home_page_counts_only_own_body_appeals(app, world):
    from portal.services import dashboard

    user = f.make_user(Role.EXECUTOR, executor=world["mine"])
    board = dashboard.for_user(user)
    assert sum(n for _, n in board["appeals"]["by_status"]) == 1


def test_executor_cannot_open_details_of_another_body_appeal(client, auth, world):
    auth.as_role(Role.EXECUTOR, executor=world["mine"])
    response = client.get("/admin/appeal/details/", query_string={"id": world["foreign"].id})
    assert response.status_code == 302
    followed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "FOREIGN-2/26" not in followed
    viewed = db.session.execute(db.select(AuditLog).filter_by(action=AuditAction.VIEW_PERSONAL_DATA)).scalars()
    assert [e.record_id for e in viewed] == []


def test_executor_opens_details_of_own_appeal(client, auth, world):
    auth.as_role(Role.EXECUTOR, executor=world["mine"])
    response = client.get("/admin/appeal/details/", query_string={"id": world["own"].id})
    assert response.status_code == 200 and "OWN-1/26" in response.get_data(as_text=True)


def test_executor_cannot_act_on_another_body_appeal(client, auth, world):
    auth.as_role(Role.EXECUTOR, executor=world["mine"])
    response = post_form(client, "/admin/appeal/transition/", {"id": world["foreign"].id, "action": "accept"})
    assert response.status_code == 404
    db.session.refresh(world["foreign"])
    assert world["foreign"].status == AppealStatus.IN_WORK


def _attach(appeal) -> int:
    upload = FileStorage(io.BytesIO(b"%PDF-1.4 test"), filename="answer.pdf", content_type="application/pdf")
    attachment = attachments.save_upload(appeal, upload)
    db.session.commit()
    return attachment.id


def test_executor_cannot_download_a_file_of_another_body_appeal(client, auth, world):
    foreign_file = _attach(world["foreign"])
    auth.as_role(Role.EXECUTOR, executor=world["mine"])
    assert client.get(f"/admin/appeal/attachment/{foreign_file}").status_code == 403


def test_executor_downloads_a_file_of_own_appeal(client, auth, world):
    own_file = _attach(world["own"])
    auth.as_role(Role.EXECUTOR, executor=world["mine"])
    response = client.get(f"/admin/appeal/attachment/{own_file}")
    data = response.data
    response.close()
    assert response.status_code == 200 and data.startswith(b"%PDF")


# --- the signer -------------------------------------------------------------------------------


def test_signer_list_shows_only_appeals_of_their_area(client, auth, world):
    auth.as_role(Role.SIGNER, direction=world["away"])
    assert _numbers(client.get("/admin/appeal/").get_data(as_text=True)) == {"FOREIGN-2/26", "LOOSE-3/26"}


def test_signer_export_holds_only_appeals_of_their_area(client, auth, world):
    auth.as_role(Role.SIGNER, direction=world["home"])
    response = client.get("/admin/appeal/export/csv/")
    assert response.status_code == 200
    assert _numbers(response.get_data(as_text=True)) == {"OWN-1/26"}


def test_signer_cannot_open_details_outside_their_area(client, auth, world):
    auth.as_role(Role.SIGNER, direction=world["home"])
    response = client.get("/admin/appeal/details/", query_string={"id": world["loose"].id})
    assert response.status_code == 302


def test_signer_cannot_act_outside_their_area(client, auth, world):
    auth.as_role(Role.SIGNER, direction=world["home"])
    response = post_form(client, "/admin/appeal/transition/", {"id": world["loose"].id, "action": "resolve"})
    assert response.status_code == 404


def test_clerk_sees_every_appeal(client, auth, world):
    auth.as_role(Role.CLERK)
    assert _numbers(client.get("/admin/appeal/").get_data(as_text=True)) == {"OWN-1/26", "FOREIGN-2/26", "LOOSE-3/26"}


# --- the mechanism: every Flask-Admin path of the base view reads through scope_query -----------


class OwnBodyView(PortalModelView):
    """A test screen of executor bodies where every action is allowed but each user sees only
    their own body: what it shows and changes must follow the scope alone."""

    area = "executor"
    column_list = ("name", "email")
    column_editable_list = ("email",)
    column_searchable_list = ("name",)
    form_columns = ("name", "email")
    form_ajax_refs = {"unit": {"fields": ["name"]}}
    action_permissions = {"delete": "delete"}

    def allowed(self, action):
        return current_user.is_authenticated

    def scope_query(self, query):
        return query.filter(Executor.id == current_user.executor_id)

    def on_model_change(self, form, model, is_created):
        if model.email == "bad@example.com":
            raise DomainError("Ця адреса не підходить.")


# Flask refuses new routes once an app has served a request: these tests get an app of their own.
ADDS_A_VIEW = pytest.mark.committed


@pytest.fixture
def own_body(app, client, auth, world):
    with app.test_request_context():  # labels are translated while the view is built
        app.extensions["admin"][0].add_view(OwnBodyView(Executor, name="Own", endpoint="own_body"))
    auth.as_role(Role.EXECUTOR, executor=world["mine"])
    return world


def _email(executor) -> str:
    db.session.refresh(executor)
    return executor.email


@ADDS_A_VIEW
def test_scoped_list_and_count(client, own_body):
    html = client.get("/admin/own_body/").get_data(as_text=True)
    assert "Мій департамент" in html and "Чужий департамент" not in html
    assert "(1)" in html  # the list's own count


@ADDS_A_VIEW
def test_scoped_details_and_edit_form_refuse_other_rows(client, own_body):
    other = own_body["theirs"].id
    assert client.get("/admin/own_body/details/", query_string={"id": other}).status_code == 302
    assert client.get("/admin/own_body/edit/", query_string={"id": other}).status_code == 302
    assert client.get("/admin/own_body/edit/", query_string={"id": own_body["mine"].id}).status_code == 200


@ADDS_A_VIEW
def test_scoped_edit_post_changes_no_other_row(client, own_body):
    theirs = own_body["theirs"]
    post_form(client, f"/admin/own_body/edit/?id={theirs.id}", {"name": "Захоплено", "email": "x@example.com"})
    db.session.refresh(theirs)
    assert (theirs.name, theirs.email) == ("Чужий департамент", theirs.email)
    assert theirs.email != "x@example.com"


@ADDS_A_VIEW
def test_scoped_delete_and_bulk_delete_spare_other_rows(client, own_body):
    theirs = own_body["theirs"].id
    post_form(client, "/admin/own_body/delete/", {"id": theirs})
    post_form(client, "/admin/own_body/action/", {"action": "delete", "rowid": theirs})
    assert db.session.get(Executor, theirs) is not None


@ADDS_A_VIEW
def test_scoped_inline_edit_refuses_other_rows(client, own_body):
    theirs = own_body["theirs"]
    before = theirs.email
    response = post_form(client, "/admin/own_body/ajax/update/", {"list_form_pk": theirs.id, "email": "x@ex.com"})
    assert response.status_code == 404
    assert _email(theirs) == before


@ADDS_A_VIEW
def test_inline_edit_of_own_row_saves(client, own_body):
    response = post_form(
        client, "/admin/own_body/ajax/update/", {"list_form_pk": own_body["mine"].id, "email": "new@example.com"}
    )
    assert response.status_code == 200
    assert _email(own_body["mine"]) == "new@example.com"


@ADDS_A_VIEW
def test_inline_edit_breaking_a_rule_answers_400_with_the_message(client, own_body):
    before = own_body["mine"].email
    response = post_form(
        client, "/admin/own_body/ajax/update/", {"list_form_pk": own_body["mine"].id, "email": "bad@example.com"}
    )
    assert response.status_code == 400
    assert "Ця адреса не підходить." in response.get_data(as_text=True)
    assert _email(own_body["mine"]) == before


@ADDS_A_VIEW
def test_scoped_export_holds_only_own_rows(client, own_body):
    csv_text = client.get("/admin/own_body/export/csv/").get_data(as_text=True)
    assert "Мій департамент" in csv_text and "Чужий департамент" not in csv_text


@ADDS_A_VIEW
def test_picker_lookup_and_submitted_value_stay_in_scope(app, client, auth, world):
    class AppealPickerView(PortalModelView):
        """A form with a picker of appeals: it offers what the appeal screen's scope shows."""

        area = "appeal"
        form_columns = ("appeal",)
        form_ajax_refs = {"appeal": {"fields": ["reg_number"]}}

        def allowed(self, action):
            return True

    admin = app.extensions["admin"][0]
    with app.test_request_context():
        admin.add_view(AppealPickerView(Assignment, name="Pick", endpoint="pick"))
    user = auth.as_role(Role.EXECUTOR, executor=world["mine"])
    found = client.get("/admin/pick/ajax/lookup/", query_string={"name": "appeal", "query": "/26"})
    assert _numbers(str(found.get_json())) == {"OWN-1/26"}
    loader = next(v for v in admin.registry.values() if v.endpoint == "pick")._form_ajax_refs["appeal"]
    with app.test_request_context():
        login_user(user)
        assert loader.get_one(world["foreign"].id) is None  # a forged picker value is refused
        assert loader.get_one(world["own"].id) is world["own"]


@ADDS_A_VIEW
def test_select_list_offers_only_rows_in_scope(app, client, auth, world):
    class AppealSelectView(PortalModelView):
        """A form with a plain select list of appeals."""

        area = "appeal"
        form_columns = ("appeal", "executor")

        def allowed(self, action):
            return True

    with app.test_request_context():
        app.extensions["admin"][0].add_view(AppealSelectView(Assignment, name="Select", endpoint="select"))
    auth.as_role(Role.EXECUTOR, executor=world["mine"])
    assert _numbers(client.get("/admin/select/new/").get_data(as_text=True)) == {"OWN-1/26"}
    count = db.session.execute(db.select(db.func.count()).select_from(Assignment)).scalar()
    post_form(client, "/admin/select/new/", {"appeal": world["foreign"].id, "executor": world["mine"].id})
    assert db.session.execute(db.select(db.func.count()).select_from(Assignment)).scalar() == count
