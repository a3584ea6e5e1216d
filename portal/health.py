"""GET /healthz: database and Redis status for monitors."""

from flask import Blueprint, jsonify
from sqlalchemy import text

from portal.extensions import db
from portal.redis_conn import redis_status

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        db_state = "ok"
    except Exception:
        db_state = "down"
    body = {"db": db_state, "redis": redis_status()}
    return jsonify(body), 200 if db_state == "ok" else 503


def init_app(app) -> None:
    app.register_blueprint(bp)
