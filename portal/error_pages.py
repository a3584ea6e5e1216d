"""Error pages in the portal's own layout and in the user's language (400, 404, 405, 413, 500).

403 and a refused CSRF token are answered in ``portal.security``; this module adds the rest
through the same renderer, so every error looks like a page of the portal with a way home.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l

PAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    404: (_l("Page not found"), _l("There is no such page or record. It may have been moved or never existed.")),
    405: (_l("Action not available"), _l("This page does not accept this kind of request.")),
    413: (
        _l("File too large"),
        _l("The file is larger than the portal accepts. Attach a smaller file (or scan with a lower resolution)."),
    ),
    500: (
        _l("Something went wrong"),
        _l("The portal could not finish this request; nothing was saved. Try again later or tell the administrator."),
    ),
}

# the last resort when even the layout cannot be rendered (e.g. the database is down)
PLAIN_500 = (
    '<!DOCTYPE html><html lang="uk"><head><meta charset="utf-8"><title>Помилка — Контакт-центр</title></head>'
    "<body><h1>Щось пішло не так</h1><p>Портал не зміг виконати запит; нічого не збережено. "
    'Спробуйте пізніше або повідомте адміністратора.</p><p><a href="/admin/">На головну</a></p></body></html>'
)


def _handler(status: int):
    def handle(exc):
        from portal.security import _render_error

        title, message = PAGES[status]
        if status == 500:
            try:
                from portal.extensions import db

                db.session.rollback()
                return _render_error(status, title, message)
            except Exception:
                current_app.logger.exception("the error page itself failed")
                return PLAIN_500, 500, {"Content-Type": "text/html; charset=utf-8"}
        return _render_error(status, title, message)

    return handle


def init_app(app) -> None:
    for status in PAGES:
        app.register_error_handler(status, _handler(status))
