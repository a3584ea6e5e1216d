"""Flask-Admin's Ukrainian catalogue, corrected where it reads wrong in this portal.

Flask-Admin translates its own screens from its bundled catalogue (domain ``admin``); a few
of its Ukrainian strings are wrong here («Зберегти» for Export, «"Скасувати"» with its
quotes, «Будь ласка, оберіть модель» in every picker). The corrected strings live in the
portal's own catalogue (``translations/uk/ux.po``) under the same msgids and win over the
bundled ones for exactly the msgids listed below.

The bundled compiled catalogue (``admin.mo`` of Flask-Admin 2.2.1) is also older than the
``admin.po`` shipped beside it: messages such as «Failed to create record.» are translated in
the ``.po`` but missing from the ``.mo``, so a refused form's flash came out in English. The
messages the ``.mo`` lacks are read once from that ``.po``.
"""

from __future__ import annotations

import functools
import os

from flask_babel import get_domain

# Flask-Admin msgids whose bundled Ukrainian is replaced by the portal's
CORRECTED_MSGIDS = (
    "Export",
    "Cancel",
    "Please select model",
    "items",
    "Add %(name)s",
    "New %(name)s",
    "Are you sure you want to delete this record?",
    "Save and Continue Editing",
    "Details",
)


def install() -> None:
    """Wrap Flask-Admin's translation domain so the corrected msgids come from the portal's catalogue."""
    from flask_admin import babel as admin_babel

    domain = admin_babel.domain
    if getattr(domain, "_portal_corrected", False):
        return
    bundled = domain.get_translations

    def get_translations():
        translations = bundled()
        if getattr(translations, "_portal_corrected", False):
            return translations  # Flask-Babel caches per locale: corrected once
        ours = get_domain().get_translations()
        catalog = getattr(ours, "_catalog", {})
        if hasattr(translations, "_catalog"):
            for key, text in _bundled_po(str(getattr(translations, "_info", {}).get("language", "uk"))).items():
                translations._catalog.setdefault(key, text)
        for msgid in CORRECTED_MSGIDS:
            if msgid in catalog and hasattr(translations, "_catalog"):
                translations._catalog[msgid] = catalog[msgid]
        translations._portal_corrected = True
        return translations

    domain.get_translations = get_translations
    domain._portal_corrected = True


@functools.cache
def _bundled_po(language: str) -> dict:
    """``{msgid or (msgid, n): text}`` of Flask-Admin's shipped ``admin.po`` for ``language``."""
    from babel.messages.pofile import read_po
    from flask_admin import translations as bundled

    path = os.path.join(bundled.__path__[0], language, "LC_MESSAGES", "admin.po")
    if not os.path.exists(path):
        return {}
    out: dict = {}
    with open(path, "rb") as fh:
        for message in read_po(fh, locale=language):
            if not message.id or not message.string or message.fuzzy:
                continue
            if isinstance(message.id, tuple):
                for n, text in enumerate(message.string):
                    if text:
                        out[(message.id[0], n)] = text
            else:
                out[message.id] = message.string
    return out
