"""Database set-up and reference data (КЕКВ, Classifier 858 categories, topics, result codes)."""

from __future__ import annotations

from portal.extensions import db
from portal.models.reference import Direction, Kekv, PrivilegeCategory, ResultCode, SocialStatus, Topic
from portal.services import reference_data as data


def _upsert(model, key: str, rows: list[dict]) -> int:
    existing = {getattr(o, key): o for o in db.session.execute(db.select(model)).scalars()}
    added = 0
    for row in rows:
        obj = existing.get(row[key])
        if obj is None:
            db.session.add(model(**row))
            added += 1
        else:
            for k, v in row.items():
                if getattr(obj, k) != v:
                    setattr(obj, k, v)
    return added


def load_reference_data() -> None:
    """Insert or update every reference table from ``reference_data`` (idempotent)."""
    _upsert(Kekv, "code", [{"code": c, "name": n} for c, n in data.KEKV])
    _upsert(SocialStatus, "code", [{"code": c, "name": n} for c, n in data.SOCIAL_STATUSES])
    _upsert(PrivilegeCategory, "code", [{"code": c, "name": n} for c, n in data.PRIVILEGE_CATEGORIES])
    _upsert(ResultCode, "code", [{"code": c, "name": n, "is_positive": p} for c, n, p in data.RESULT_CODES])
    _upsert(Direction, "name", [{"name": n, "signer_title": t} for n, t in data.DIRECTIONS])
    db.session.flush()
    directions = {d.name: d.id for d in db.session.execute(db.select(Direction)).scalars()}
    _upsert(
        Topic,
        "code",
        [
            {"code": code, "name": name, "direction_id": directions.get(direction)}
            for code, name, direction in data.TOPICS
        ],
    )
    db.session.flush()
    topics = {t.code: t for t in db.session.execute(db.select(Topic)).scalars()}
    for code, topic in topics.items():
        parent_code = code.rsplit(".", 1)[0] if "." in code else None
        parent = topics.get(parent_code) if parent_code else None
        if parent is not None and topic.parent_id != parent.id:
            topic.parent_id = parent.id


def init_database() -> None:
    """Upgrade the schema to the newest migration (the audit log's triggers included), then load reference data."""
    from flask_migrate import upgrade

    upgrade()
    load_reference_data()
    db.session.commit()
