"""How an entitlement is paid, in words: the service form's option where it asks, else the
register's words; never the stored value ("bank") on a page."""

from __future__ import annotations

from forms.catalog import load_catalog
from hub.benefits.views import payment_method_words
from hub.i18n import gettext

CATALOG = load_catalog()


def test_a_benefit_whose_form_does_not_ask_is_paid_to_a_bank_account_in_words():
    maternity = CATALOG.latest("maternity-allowance")
    assert maternity is not None and maternity.benefit is not None
    assert not maternity.benefit.payment_method_field
    words = payment_method_words(maternity, "bank")
    assert gettext("en", words) == "To a bank account"
    assert gettext("zh_CN", words) == "发放至银行账户"


def test_a_form_that_asks_gives_its_option_s_words():
    elderly = CATALOG.latest("elderly-care-allowance")
    assert gettext("zh_CN", payment_method_words(elderly, "social_security_card")) == "发放至社会保障卡"
    assert gettext("en", payment_method_words(None, "bank")) == "To a bank account"
