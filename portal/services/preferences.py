"""A user's choices for the screens: the columns of a list, remembered on the server."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models.users import ListPreference
from portal.services.errors import DomainError


def _row(user_id: int, view: str) -> ListPreference | None:
    return db.session.execute(
        sa.select(ListPreference).where(ListPreference.user_id == user_id, ListPreference.view == view)
    ).scalar_one_or_none()


def list_columns(user, view: str, available: Sequence[str], default: Sequence[str]) -> list[str]:
    """The columns ``user`` sees on the list ``view``, in the list's own order.

    The user's choice where there is one (columns the list no longer has are dropped), else ``default``.
    """
    row = _row(user.id, view) if user is not None and getattr(user, "id", None) else None
    chosen = set(row.columns) & set(available) if row is not None and row.columns else set()
    if not chosen:
        chosen = set(default)
    return [name for name in available if name in chosen]


def set_list_columns(user, view: str, chosen: Sequence[str], available: Sequence[str], required: Sequence[str] = ()):
    """Remember the columns ``user`` chose for ``view`` (the ``required`` ones are always kept).

    An empty choice resets the list to its defaults.
    """
    unknown = [name for name in chosen if name not in available]
    if unknown:
        raise DomainError(_l("The list has no such column."))
    row = _row(user.id, view)
    if not chosen:
        if row is not None:
            db.session.delete(row)
        return []
    keep = set(chosen) | set(required)
    columns = [name for name in available if name in keep]
    if row is None:
        db.session.add(ListPreference(user_id=user.id, view=view, columns=columns))
    else:
        row.columns = columns
    return columns
