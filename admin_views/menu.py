"""The admin menu's categories, shared by every view module."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

CATEGORY_APPEALS = _l("Appeals")
CATEGORY_ORG = _l("Organisation")
CATEGORY_BUDGET = _l("Budget")
CATEGORY_REPORTS = _l("Reports")
CATEGORY_SYSTEM = _l("Administration")
