"""Reference data: complete classifiers, a two-level topic tree, idempotent loading."""

import sqlalchemy as sa

from portal import create_app
from portal.extensions import db
from portal.models import AuditLog, Direction, Kekv, PrivilegeCategory, ResultCode, SocialStatus, Topic
from portal.services import reference, reference_data

REFERENCE_MODELS = (Kekv, SocialStatus, PrivilegeCategory, ResultCode, Direction, Topic)


def _counts() -> dict:
    counts = {
        m.__name__: db.session.execute(sa.select(sa.func.count()).select_from(m)).scalar() for m in REFERENCE_MODELS
    }
    counts["audit"] = db.session.execute(sa.select(sa.func.count()).select_from(AuditLog)).scalar()
    return counts


def test_init_db_twice_changes_nothing(tmp_path, redis_url):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "REDIS_URL": redis_url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'twice.sqlite'}",
        }
    )
    runner = app.test_cli_runner()
    first = runner.invoke(args=["init-db"])
    assert first.exit_code == 0, first.output
    with app.app_context():
        before = _counts()
        db.session.remove()
    second = runner.invoke(args=["init-db"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        assert _counts() == before
        db.engine.dispose()


def test_loading_reference_data_again_writes_no_rows_and_no_history(app):
    before = _counts()
    reference.load_reference_data()
    db.session.commit()
    assert _counts() == before


def test_loading_reference_data_restores_an_edited_name(app):
    kekv = db.session.execute(sa.select(Kekv).filter_by(code="2111")).scalar_one()
    kekv.name = "змінено"
    db.session.commit()
    reference.load_reference_data()
    db.session.commit()
    assert kekv.name == "Заробітна плата"


def test_topics_form_a_two_level_tree_with_directions(app):
    topics = db.session.execute(sa.select(Topic)).scalars().all()
    sections = [t for t in topics if t.parent_id is None]
    subtopics = [t for t in topics if t.parent_id is not None]
    assert len(sections) >= 15 and len(subtopics) >= 50
    assert all("." not in t.code for t in sections)
    for topic in subtopics:
        assert topic.parent.code == topic.code.split(".")[0]
        assert topic.parent.parent_id is None
        assert topic.direction_id is not None and topic.direction_id == topic.parent.direction_id


def test_every_direction_covers_some_topics(app):
    for direction in db.session.execute(sa.select(Direction)).scalars():
        assert direction.topics, direction.name
        assert direction.signer_title


def test_kekv_codes_of_a_budget_institution_are_present(app):
    codes = set(db.session.execute(sa.select(Kekv.code)).scalars())
    assert {
        "2111",
        "2120",
        "2210",
        "2240",
        "2250",
        "2271",
        "2272",
        "2273",
        "2274",
        "2275",
        "2282",
        "2800",
        "3110",
    } <= codes


def test_privilege_categories_include_the_classifier_categories(app):
    names = set(db.session.execute(sa.select(PrivilegeCategory.name)).scalars())
    for expected in (
        "Герой України",
        "Учасник бойових дій",
        "Особа з інвалідністю внаслідок війни",
        "Учасник війни",
        "Ветеран праці",
        "Особа з інвалідністю I групи",
        "Дитина з інвалідністю",
        "Багатодітна сім'я",
        "Внутрішньо переміщена особа",
        "Особа, що постраждала внаслідок Чорнобильської катастрофи",
    ):
        assert expected in names


def test_result_codes_are_the_six_closing_codes(app):
    codes = dict(db.session.execute(sa.select(ResultCode.code, ResultCode.is_positive)).all())
    assert codes == {
        "positive": True,
        "explained": False,
        "refused": False,
        "forwarded": False,
        "impossible_now": False,
        "needs_funding": False,
    }


def test_reference_codes_are_unique_in_the_shipped_data():
    for rows in (
        reference_data.KEKV,
        reference_data.SOCIAL_STATUSES,
        reference_data.PRIVILEGE_CATEGORIES,
        reference_data.TOPICS,
        reference_data.DIRECTIONS,
    ):
        keys = [row[0] for row in rows]
        assert len(keys) == len(set(keys))
