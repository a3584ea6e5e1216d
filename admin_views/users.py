"""User accounts: create, disable/enable, reset a password, change a role, bind an executor body.

Accounts are never deleted (their history stays readable) and password hashes are never
shown. The rules (role grants, own account, executor binding, password policy) live in
``portal.services.accounts`` / ``portal.services.users``.
"""

from __future__ import annotations

from flask import flash, redirect, request
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_admin.model.template import LinkRowAction
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from wtforms.validators import InputRequired

from admin_views.base import PortalModelView
from admin_views.forms.fields import enum_select
from admin_views.forms.users import PasswordForm, create_user_form
from portal.auth.permissions import assignable_roles, may_manage_account
from portal.extensions import db
from portal.labels import enum_choices, enum_label
from portal.models.enums import Role
from portal.models.users import User
from portal.services import accounts, users
from portal.services.errors import DomainError


class UserView(PortalModelView):
    area = "user"
    extra_view_actions = {"password_view": "reset_password"}
    action_permissions = {"disable": "edit", "enable": "edit"}

    column_list = ("username", "full_name", "role", "executor", "direction", "active", "last_login_at")
    column_details_list = (
        "username",
        "full_name",
        "email",
        "role",
        "executor",
        "direction",
        "active",
        "password_changed_at",
        "last_login_at",
        "created_at",
        "updated_at",
    )
    column_export_list = (
        "username",
        "full_name",
        "email",
        "role",
        "executor",
        "direction",
        "active",
        "password_changed_at",
        "last_login_at",
    )
    column_searchable_list = ("username", "full_name", "email")
    column_filters = (FilterEqual(User.role, _l("Role"), options=enum_choices(Role)), "active")
    column_default_sort = "username"
    form_columns = ("username", "full_name", "email", "role", "executor", "direction", "active")
    form_overrides = {"role": enum_select(Role)}
    form_args = {
        "role": {"validators": [InputRequired()]},
        "executor": {"description": _l("Required for the executor role, empty for every other role.")},
    }

    # --- forms: the role list offers only what the current user may grant -----------
    def get_create_form(self):
        return create_user_form(super().get_create_form())

    def _role_choices(self, form, user: User | None) -> None:
        if user is not None and user.id == current_user.id:
            roles = [Role(user.role)]  # nobody changes their own role
        else:
            roles = [r for r in Role if r in assignable_roles(current_user)]
            if user is not None and Role(user.role) not in roles:
                roles.insert(0, Role(user.role))
        form.role.choices = [(r.value, enum_label(r)) for r in roles]

    def create_form(self, obj=None):
        form = super().create_form(obj)
        self._role_choices(form, None)
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        self._role_choices(form, obj)
        return form

    def on_model_change(self, form, model, is_created):
        password = form.password.data if is_created and hasattr(form, "password") else None
        users.check_saved_account(current_user, model, is_new=is_created, password=password)

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        user = self.get_one(request.args.get("id", ""))
        if user is not None and user.id != current_user.id and not may_manage_account(current_user, user.role):
            return self.deny()
        return super().edit_view()

    # --- disable / enable --------------------------------------------------------
    def _set_active(self, ids, active: bool) -> None:
        done = 0
        try:
            for user in self.rows_for_ids(ids):
                if active:
                    if not user.active:
                        accounts.set_active(user, True, actor=current_user)
                    # "Enable" is also how an administrator lifts the login locks of any account
                    accounts.unlock(current_user, user)
                else:
                    accounts.set_active(user, False, actor=current_user)
                done += 1
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return
        message = _l("Accounts enabled: %(n)s.", n=done) if active else _l("Accounts disabled: %(n)s.", n=done)
        flash(message, "success")

    @action("disable", _l("Disable"), _l("Disable the selected accounts? Their sessions end at once."))
    def action_disable(self, ids):
        self._set_active(ids, False)

    @action("enable", _l("Enable"), _l("Enable the selected accounts and lift their login locks?"))
    def action_enable(self, ids):
        self._set_active(ids, True)

    # --- password reset ----------------------------------------------------------
    def get_list_row_actions(self):
        row_actions = list(super().get_list_row_actions())
        if self.allowed("reset_password"):
            row_actions.append(LinkRowAction("fa fa-key", url=self._password_url, title=_l("Set a new password")))
        return row_actions

    def _password_url(self, action, row_id, row):
        return self.get_url(".password_view", id=row_id, url=request.url)

    @expose("/password/", methods=("GET", "POST"))
    def password_view(self):
        """Set a new password for an account; its sessions end."""
        user = self.get_one(request.args.get("id", ""))
        return_url = self.get_url(".index_view")
        if user is None:
            flash(_l("Record does not exist."), "error")
            return redirect(return_url)
        if user.id != current_user.id and not may_manage_account(current_user, user.role):
            return self.deny()
        form = PasswordForm()
        if form.validate_on_submit():
            try:
                accounts.reset_password(current_user, user, form.password.data)
            except DomainError as exc:
                db.session.rollback()
                form.password.errors = [*form.password.errors, str(exc)]
            else:
                db.session.commit()
                if user.id == current_user.id:
                    login_user(user)  # keep this session: it was renewed with the new password
                flash(_l("The password of %(user)s was changed; their sessions have ended.", user=user), "success")
                return redirect(self.get_url(".details_view", id=user.id))
        return self.render("admin/user_password.html", form=form, user=user, return_url=return_url)


def register(admin) -> None:
    from admin_views.menu import CATEGORY_SYSTEM

    admin.add_view(UserView(User, name=_l("Users"), category=CATEGORY_SYSTEM))
