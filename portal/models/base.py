"""Column types and mixins shared by all models."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from portal.extensions import db

if TYPE_CHECKING:  # ``db.Model`` is built at run time; give the checker its real bases
    import flask_sqlalchemy.model

    from portal.extensions import Base

    class Model(flask_sqlalchemy.model.Model, Base):
        __abstract__ = True

else:
    Model = db.Model


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as naive UTC on every backend and returned timezone-aware."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def enum_column(enum_cls: type[enum.Enum], **kw) -> sa.Enum:
    """A portable (VARCHAR + CHECK) enum stored by its value."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
        create_constraint=True,
        name=kw.pop("name", enum_cls.__name__.lower()),
        **kw,
    )


class LabeledEnum(str, enum.Enum):
    """A string enum whose members carry a translatable label (see ``portal.labels``)."""

    def __str__(self) -> str:  # pickers and lists show the translated label
        from portal.labels import enum_label

        return str(enum_label(self))


Money = sa.Numeric(14, 2)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, info={"label": _l("Created at")})
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, info={"label": _l("Updated at")}
    )
