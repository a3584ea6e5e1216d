"""Flask-Admin's Ukrainian catalogue, corrected where it reads wrong in this portal.

Flask-Admin translates its own screens from its bundled catalogue (domain ``admin``); a few
of its Ukrainian strings are wrong here («Зберегти» for Export, «"Скасувати"» with its
quotes, «Будь ласка, оберіть модель» in every picker). The corrected strings live in the
portal's own catalogue (``translations/uk/ux.po``) under the same msgids and win over the
bundled ones for exactly the msgids listed below.
"""

from __future__ import annotations

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
        for msgid in CORRECTED_MSGIDS:
            if msgid in catalog and hasattr(translations, "_catalog"):
                translations._catalog[msgid] = catalog[msgid]
        translations._portal_corrected = True
        return translations

    domain.get_translations = get_translations
    domain._portal_corrected = True
