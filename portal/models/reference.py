"""Reference data: topics, Classifier 858 categories, result codes, КЕКВ, directions."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Model


class Direction(Model):
    """A line of activity (напрям) overseen by one signer: secretary, deputy head, chief of staff."""

    __tablename__ = "direction"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True, info={"label": _l("Name")})
    signer_title: Mapped[str] = mapped_column(sa.String(200), default="", info={"label": _l("Signer's position")})

    topics: Mapped[list[Topic]] = relationship(back_populates="direction", info={"label": _l("Topics")})

    def __str__(self) -> str:
        return self.name


class Topic(Model):
    """Topic of an appeal from the classifier of issues (Classifier 858 §8), a two-level tree."""

    __tablename__ = "topic"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True, info={"label": _l("Code")})
    name: Mapped[str] = mapped_column(sa.String(300), info={"label": _l("Name")})
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("topic.id"), info={"label": _l("Section")})
    direction_id: Mapped[int | None] = mapped_column(sa.ForeignKey("direction.id"), info={"label": _l("Direction")})

    parent: Mapped[Topic | None] = relationship(
        remote_side=[id], back_populates="children", info={"label": _l("Section")}
    )
    children: Mapped[list[Topic]] = relationship(back_populates="parent", info={"label": _l("Subtopics")})
    direction: Mapped[Direction | None] = relationship(back_populates="topics", info={"label": _l("Direction")})

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class SocialStatus(Model):
    """Applicant's social status (Classifier 858)."""

    __tablename__ = "social_status"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True, info={"label": _l("Code")})
    name: Mapped[str] = mapped_column(sa.String(200), info={"label": _l("Name")})

    def __str__(self) -> str:
        return self.name


class PrivilegeCategory(Model):
    """Category of applicants with legal privileges (Classifier 858 §7): handled first."""

    __tablename__ = "privilege_category"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True, info={"label": _l("Code")})
    name: Mapped[str] = mapped_column(sa.String(300), info={"label": _l("Name")})

    def __str__(self) -> str:
        return self.name


class ResultCode(Model):
    """Closing code of an appeal (вирішено позитивно, роз'яснено, ...)."""

    __tablename__ = "result_code"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True, info={"label": _l("Code")})
    name: Mapped[str] = mapped_column(sa.String(200), info={"label": _l("Name")})
    is_positive: Mapped[bool] = mapped_column(default=False, info={"label": _l("Positive result")})

    def __str__(self) -> str:
        return self.name


class Kekv(Model):
    """Economic classification code of expenditures (КЕКВ)."""

    __tablename__ = "kekv"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(8), unique=True, info={"label": _l("KEKV code")})
    name: Mapped[str] = mapped_column(sa.String(300), info={"label": _l("Name")})

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
