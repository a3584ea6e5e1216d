"""The exchange in a real browser: the clerk's intake inbox, a draft, and an appeal card with its delivery state."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from jobs.worker import run_burst
from portal import queue as job_queue
from portal.extensions import db
from portal.i18n import default_locale
from portal.models.enums import Role
from portal.models.exchange import IntakeMessage, IntakeSource, IntakeState
from portal.services import intake, workflow
from tests.browser_support import browser_page, chromium_missing_reason, live_server, login, screenshot
from tests.factories import PASSWORD, make_appeal, make_user
from tests.mail_servers import free_port

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_missing_reason() is not None, reason=chromium_missing_reason() or ""),
]
MAIL = os.path.join(os.path.dirname(__file__), "data", "mail")


def test_clerk_sees_the_inbox_a_draft_and_the_delivery_state_on_the_card(app, chromium):
    from tests.test_exchange_mail import signed_appeal

    clerk = make_user(Role.CLERK, username="clerk", full_name="Данилюк Оксана Петрівна")
    make_appeal(ukc_number="2611-004303")
    for name in ("multipart_rfc2231.eml", "html_only.eml", "broken.eml", "koi8u_base64.eml", "not_an_appeal.eml"):
        with open(os.path.join(MAIL, name), "rb") as fh:
            intake.take_in(fh.read(), source=IntakeSource.MAILBOX)
    db.session.commit()
    app.config.update(SMTP_URL=f"smtp://127.0.0.1:{free_port()}", MAIL_RETRY_INTERVALS="0")
    with default_locale(), app.test_request_context():
        appeal = signed_appeal()
        workflow.dispatch(clerk, appeal, outgoing_number="01-14/900")
        db.session.commit()
    run_burst(job_queue.get_queue(), app=app)  # nothing listens: the delivery fails and is recorded
    draft_id = db.session.execute(sa.select(IntakeMessage.id).order_by(IntakeMessage.id)).scalars().first()
    with live_server(app) as url, browser_page(chromium) as page:
        login(page, url, clerk.username, PASSWORD)
        page.goto(f"{url}/admin/intake/")
        inbox = page.inner_text("body")
        screenshot(page, "intake-inbox.png")
        page.goto(f"{url}/admin/intake/details/?id={draft_id}")
        draft = page.inner_text("body")
        screenshot(page, "intake-draft.png")
        # the clerk checks the fields read from the e-mail and registers the appeal with one button
        with page.expect_navigation():
            page.click("form button[type=submit]:has-text('Зареєструвати')")
        registered = page.inner_text("body")
        screenshot(page, "intake-registered.png")
        page.goto(f"{url}/admin/appeal/details/?id={appeal.id}")
        card = page.inner_text("body")
        screenshot(page, "appeal-delivery.png")
    assert "Вхідні звернення" in inbox and "Непридатне" in inbox and "Дублікат" in inbox and "Чернетка" in inbox
    assert "Чернетка реєстрації" in draft and "Зареєструвати" in draft
    assert "Звернення" in registered and "2611-004301" in registered  # the card of the new appeal, with its УКЦ No.
    assert db.session.execute(sa.select(IntakeMessage.state).where(IntakeMessage.id == draft_id)).scalar_one() == (
        IntakeState.REGISTERED
    )
    assert "Доставка до обласного контактного центру" in card and "Надіслати ще раз" in card
    assert "Документи відповідей (DOCX)" in card
