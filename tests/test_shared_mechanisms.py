"""Small mechanisms kept once: money, labels, enum selects, picker ids, the appeal scope, appeal files."""

from __future__ import annotations

import io
import os
from decimal import Decimal

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage, MultiDict

from admin_views.forms.fields import enum_select
from admin_views.forms.pickers import parse_pk
from portal.extensions import db
from portal.i18n import format_money
from portal.labels import field_labels
from portal.models import Appeal
from portal.models.enums import AppealStatus, Channel, Role
from portal.models.org import ExecutorContact
from portal.services import attachments
from portal.services.scope import can_see_appeal, scope_appeals
from tests import factories as f

# --- money ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("1234567.5"), "1\u00a0234\u00a0567.50"),
        (Decimal("-1000"), "-1\u00a0000.00"),
        ("0.5", "0.50"),
        (None, "0.00"),
        (12, "12.00"),
    ],
)
def test_money_is_written_with_kopecks_and_no_break_thousands(value, text):
    assert format_money(value) == text


# --- labels ------------------------------------------------------------------------------------------


def test_field_labels_fall_back_to_the_attribute_name():
    labels = field_labels(ExecutorContact)
    assert labels["id"] == "Id"
    assert not isinstance(labels["full_name"], str)  # declared on the column: lazy, translated when shown


def test_explicit_field_labels_leave_the_others_to_flask_admin():
    labels = field_labels(ExecutorContact, explicit_only=True)
    assert "id" not in labels
    assert labels["full_name"] is field_labels(ExecutorContact)["full_name"]


# --- enum selects ------------------------------------------------------------------------------------


def test_an_enum_select_stores_members_and_reads_values(app):
    from wtforms import Form

    class ChannelForm(Form):
        channel = enum_select(Channel)()

    with app.test_request_context():
        form = ChannelForm(MultiDict({"channel": "phone"}))
        assert form.validate() and form.channel.data is Channel.PHONE
        assert ChannelForm(MultiDict({"channel": ""})).channel.data is None
        assert [c[0] for c in form.channel.iter_choices()] == [m.value for m in Channel]


# --- picker ids ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "pk"), [("5", 5), (7, 7), (" 8", 8), ("", None), ("x", None), (None, None)])
def test_a_submitted_id_is_an_integer_or_nothing(value, pk):
    assert parse_pk(value) == pk


# --- the appeal scope: the SQL clause and the check of one appeal agree ----------------------------------


@pytest.fixture
def scoped_world(app):
    mine, theirs = f.make_executor(), f.make_executor()
    home, away = f.make_direction(), f.make_direction()
    appeals = [
        f.make_appeal(direction=home, status=AppealStatus.IN_WORK),
        f.make_appeal(direction=away, status=AppealStatus.IN_WORK),
        f.make_appeal(direction=away),
        f.make_appeal(direction=None),
    ]
    f.make_assignment(appeals[0], mine)
    f.make_assignment(appeals[1], theirs)
    signer_home = f.make_user(Role.SIGNER, direction=home)
    signer_none = f.make_user(Role.SIGNER, direction=None)
    appeals[2].signer = signer_none
    appeals[3].signer = signer_home
    users = [
        f.make_user(Role.EXECUTOR, executor=mine),
        f.make_user(Role.EXECUTOR, executor=theirs),
        signer_home,
        signer_none,
        f.make_user(Role.CLERK),
        f.make_user(Role.AUDITOR),
    ]
    db.session.commit()
    return users, appeals


@pytest.mark.parametrize("counting", [False, True])
def test_the_scope_clause_and_the_one_appeal_check_agree(scoped_world, counting):
    users, appeals = scoped_world
    for user in users:
        listed = set(db.session.execute(scope_appeals(sa.select(Appeal.id), user, counting)).scalars())
        assert listed == {a.id for a in appeals if can_see_appeal(user, a)}, user.role


# --- appeal files ----------------------------------------------------------------------------------------


def _upload(appeal, name="a.pdf"):
    return attachments.save_upload(appeal, FileStorage(io.BytesIO(b"%PDF-1.4 x"), filename=name))


def test_the_files_of_a_deleted_appeal_are_removed_and_missing_ones_skipped(app):
    appeal = f.make_appeal()
    first, second = _upload(appeal), _upload(appeal, "b.pdf")
    db.session.flush()
    paths = attachments.paths_of_appeal(appeal)
    assert sorted(paths) == sorted([attachments.path_of(first), attachments.path_of(second)])
    os.remove(paths[0])
    attachments.remove_files(paths)
    assert not any(os.path.exists(p) for p in paths)


def test_discarded_uploads_leave_no_file(app):
    saved = [_upload(f.make_appeal())]
    path = attachments.path_of(saved[0])
    assert os.path.exists(path)
    db.session.rollback()
    attachments.discard_uploads(saved)
    attachments.discard_uploads(saved)  # twice: the second finds nothing, and says nothing
    assert not os.path.exists(path)
