"""What a payment cycle decides for one entitlement and period, from the registry's facts: the
band's amount, a change of band, the end of payments at a death or a move, and an entitlement set
aside (not the cycle stopped) when its facts or its formula fail."""

from __future__ import annotations

import datetime as dt

from workflows.benefits.assess import assess
from workflows.benefits.types import DueEntitlement, PersonFacts

BANDS = "600 if person.age >= 100 else 300 if person.age >= 90 else 100"
BAND = "'100+' if person.age >= 100 else '90-99' if person.age >= 90 else '80-89'"


def due(**changes) -> DueEntitlement:
    base = dict(
        id=7,
        kind="monthly",
        resident_id="330106193702012719",
        amount_formula=BANDS,
        band_formula=BAND,
        maximum_cents=100_000,
        amount_cents=10_000,
        band="80-89",
        payee_account="6222020200112233445",
    )
    return DueEntitlement(**{**base, **changes})


def facts(**changes) -> PersonFacts:
    return PersonFacts(**{"born_on": dt.date(1937, 2, 1), "resident": True, **changes})


def test_the_amount_of_the_band_on_the_first_day_of_the_period():
    same = assess(due(), facts(), "2027-01")
    assert (same.pay_cents, same.new_cents, same.end, same.set_aside) == (10_000, None, None, None)
    turned_90 = assess(due(), facts(), "2027-02")
    assert (turned_90.pay_cents, turned_90.new_cents, turned_90.new_band) == (30_000, 30_000, "90-99")


def test_a_death_before_the_period_ends_it_unpaid_and_one_during_it_pays_it_last():
    before = assess(due(), facts(died_on=dt.date(2027, 1, 31)), "2027-02")
    assert (before.pay_cents, before.end, before.ended_on) == (0, "death", dt.date(2027, 1, 31))
    during = assess(due(), facts(died_on=dt.date(2027, 2, 14)), "2027-02")
    assert (during.pay_cents, during.end) == (30_000, "death")


def test_a_move_out_of_the_city_ends_it():
    moved = assess(due(), facts(moved_out_on=dt.date(2026, 12, 20)), "2027-01")
    assert (moved.pay_cents, moved.end) == (0, "moved-out")
    assert assess(due(), facts(resident=False), "2027-01").end == "moved-out"


def test_a_one_off_benefit_is_paid_once_and_ends():
    once = assess(
        due(kind="one_off", amount_formula="8000", band_formula="", amount_cents=800_000, maximum_cents=2_000_000),
        facts(),
        "2027-01",
    )
    assert (once.pay_cents, once.end) == (800_000, "paid-in-full")


def test_what_cannot_be_assessed_is_set_aside_with_its_reason():
    assert assess(due(), None, "2027-01").set_aside == "no-registry-record"
    broken = assess(due(amount_formula="100 / (person.age - person.age)"), facts(), "2027-01")
    assert broken.set_aside == "formula-failed" and broken.pay_cents == 0
    absurd = assess(due(amount_formula="person.age * 10000"), facts(), "2027-01")
    assert (absurd.set_aside, absurd.pay_cents) == ("absurd-amount", 0)
    negative = assess(due(amount_formula="100 - person.age * 10"), facts(), "2027-01")
    assert negative.set_aside == "absurd-amount"


def test_formulas_read_the_answers_kept_with_the_entitlement_typed_as_at_filing():
    inputs = {
        "values": {"household_members": [{"monthly_income": "300.00"}, {"monthly_income": "500.00"}]},
        "types": {"household_members": "group", "household_members.monthly_income": "money"},
    }
    formula = (
        "(1200 - sum(m.monthly_income for m in household_members) / len(household_members)) * len(household_members)"
    )
    paid = assess(
        due(
            amount_formula=formula,
            band_formula="",
            inputs=inputs,
            amount_cents=160_000,
            band="",
            maximum_cents=1_200_000,
        ),
        facts(),
        "2027-01",
    )
    assert (paid.pay_cents, paid.new_cents) == (160_000, None)
