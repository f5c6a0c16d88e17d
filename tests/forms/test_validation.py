"""Server-side validation of form answers (forms.validation), on the shipped spec and on small test specs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric, uscc

from forms.catalog import load_catalog
from forms.spec import ServiceSpec
from forms.validation import FormInvalid, validate_form

FAST = settings(max_examples=200, deadline=None, database=None)

ELDERLY = load_catalog().latest("elderly-care-allowance")
assert ELDERLY is not None

VALID_ID = "330106194001011237"  # Xihu district, born 1940-01-01
VALID_ANSWERS = {
    "full_name": "王秀英",
    "resident_id": VALID_ID,
    "phone": "13800138000",
    "address": "杭州市西湖区文三路 100 号",
    "hukou_local": True,
    "living_arrangement": "alone",
    "payment_method": "social_security_card",
}

# A test-only service with one field of each kind the shipped catalog does not exercise.
BENCH = ServiceSpec.model_validate(
    {
        "id": "validation-test-bench",
        "version": 1,
        "title": "Test bench",
        "summary": "Fields for validation tests",
        "audience": ["enterprise"],
        "owner": "market-regulation",
        "legal_basis": "None",
        "time_limit_days": 10,
        "fields": [
            {"name": "credit_code", "type": "uscc", "label": "Credit code", "required": False},
            {"name": "amount", "type": "money", "label": "Amount", "required": False},
            {
                "name": "capped_amount",
                "type": "money",
                "label": "Capped amount",
                "required": False,
                "minimum": "10",
                "maximum": "1000",
            },
            {
                "name": "nickname",
                "type": "text",
                "label": "Nickname",
                "required": False,
                "min_length": 2,
                "max_length": 5,
            },
            {"name": "essay", "type": "text", "label": "Essay", "required": False, "max_length": 1000},
            {"name": "bank_account", "type": "bank_account", "label": "Bank account", "required": False},
            {
                "name": "sectors",
                "type": "multi_choice",
                "label": "Sectors",
                "required": False,
                "options": [{"value": "food", "label": "Food"}, {"value": "retail", "label": "Retail"}],
            },
        ],
        "route": [{"id": "review", "title": "Review", "departments": ["market-regulation"], "time_limit_days": 5}],
    }
)


def errors_of(spec: ServiceSpec, data: dict) -> list[tuple[str, str]]:
    """The (field, code) pairs of a submission that must not validate."""
    with pytest.raises(FormInvalid) as info:
        validate_form(spec, data)
    return [(e.field, e.code) for e in info.value.errors]


def elderly(**changes) -> dict:
    data = {**VALID_ANSWERS, **changes}
    return {k: v for k, v in data.items() if v is not None}


def codes(spec: ServiceSpec, data: dict, field: str) -> set[str]:
    return {code for f, code in errors_of(spec, data) if f == field}


# --- the shipped spec: a complete, valid submission -------------------------------------------------


def test_valid_submission_is_returned_clean():
    clean = validate_form(ELDERLY, elderly(full_name="  王秀英  "))
    assert clean["full_name"] == "王秀英"  # whitespace stripped
    assert clean["resident_id"] == VALID_ID
    assert clean["hukou_local"] is True
    assert "care_home_name" not in clean


def test_required_field_absent_is_missing():
    assert errors_of(ELDERLY, elderly(address=None)) == [("address", "missing")]


def test_blank_text_counts_as_not_given():
    assert codes(ELDERLY, elderly(full_name="   "), "full_name") == {"string_too_short"}


# --- resident identity number ----------------------------------------------------------------------

REGIONS = ["330106", "110101", "440305", "310115"]


@st.composite
def resident_ids(draw) -> str:
    region = draw(st.sampled_from(REGIONS))
    born = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31)))
    sequence = draw(st.integers(0, 999))
    number17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return number17 + ric.calc_check_digit(number17 + "0")


def test_known_resident_id_example():
    # The example from python-stdnum's documentation, and one ending in X.
    assert validate_form(ELDERLY, elderly(resident_id="360426199101010071"))["resident_id"] == "360426199101010071"
    number17 = "11010119800101007"
    assert ric.calc_check_digit(number17 + "0") == "X"
    assert validate_form(ELDERLY, elderly(resident_id=number17 + "x"))["resident_id"] == number17 + "X"


@FAST
@given(resident_ids())
def test_valid_resident_ids_pass(number):
    assert validate_form(ELDERLY, elderly(resident_id=number))["resident_id"] == number


@FAST
@given(resident_ids(), st.integers(0, 16), st.sampled_from("0123456789"))
def test_changing_one_digit_of_a_resident_id_is_caught(number, position, digit):
    assume(number[position] != digit)
    mutated = number[:position] + digit + number[position + 1 :]
    found = codes(ELDERLY, elderly(resident_id=mutated), "resident_id")
    assert found and found <= {"resident_id_checksum", "resident_id_birth_date", "resident_id_region"}


@FAST
@given(resident_ids(), st.sampled_from("0123456789X"))
def test_wrong_check_digit_is_caught(number, check):
    assume(number[-1] != check)
    assert codes(ELDERLY, elderly(resident_id=number[:-1] + check), "resident_id") == {"resident_id_checksum"}


@FAST
@given(st.text("0123456789", min_size=1, max_size=40).filter(lambda s: len(s) != 18))
def test_resident_id_of_wrong_length_is_a_format_error(number):
    assert codes(ELDERLY, elderly(resident_id=number), "resident_id") == {"resident_id_format"}


@FAST
@given(resident_ids(), st.integers(0, 17), st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWYZ-+."))
def test_resident_id_with_a_letter_is_a_format_error(number, position, char):
    mutated = number[:position] + char + number[position + 1 :]
    assert codes(ELDERLY, elderly(resident_id=mutated), "resident_id") == {"resident_id_format"}


def test_resident_id_born_in_the_future_is_rejected():
    number17 = "330106" + "20991231" + "123"
    number = number17 + ric.calc_check_digit(number17 + "0")
    assert codes(ELDERLY, elderly(resident_id=number), "resident_id") == {"resident_id_birth_date"}


def test_resident_id_with_impossible_birth_date_is_rejected():
    number17 = "330106" + "19400230" + "123"  # 30 February
    number = number17 + ric.calc_check_digit(number17 + "0")
    assert codes(ELDERLY, elderly(resident_id=number), "resident_id") == {"resident_id_birth_date"}


@pytest.mark.parametrize("region", ["999999", "000000"])
def test_resident_id_with_unknown_region_is_rejected(region):
    number17 = region + "19400101" + "123"
    number = number17 + ric.calc_check_digit(number17 + "0")
    assert codes(ELDERLY, elderly(resident_id=number), "resident_id") == {"resident_id_region"}


def test_resident_id_with_non_ascii_digits_is_rejected():
    number17 = "33010619400101123".translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    number = number17 + ric.calc_check_digit(number17 + "0")
    assert codes(ELDERLY, elderly(resident_id=number), "resident_id") == {"resident_id_format"}


# --- unified social credit code --------------------------------------------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@st.composite
def credit_codes(draw) -> str:
    head = draw(st.text("0123456789", min_size=8, max_size=8))  # authority, entity type, region
    organisation = draw(st.text(USCC_ALPHABET, min_size=9, max_size=9))
    number17 = head + organisation
    return number17 + uscc.calc_check_digit(number17)


def test_known_uscc_example():
    assert validate_form(BENCH, {"credit_code": "91110000600037341L"}) == {"credit_code": "91110000600037341L"}
    assert validate_form(BENCH, {"credit_code": " 91110000600037341l "}) == {"credit_code": "91110000600037341L"}


@FAST
@given(credit_codes())
def test_valid_usccs_pass(code):
    assert validate_form(BENCH, {"credit_code": code}) == {"credit_code": code}


@FAST
@given(credit_codes(), st.integers(0, 17), st.sampled_from(USCC_ALPHABET))
def test_changing_one_character_of_a_uscc_is_caught(code, position, char):
    assume(code[position] != char)
    mutated = code[:position] + char + code[position + 1 :]
    assert errors_of(BENCH, {"credit_code": mutated}) == [("credit_code", "uscc_invalid")]


@FAST
@given(st.text(USCC_ALPHABET, min_size=1, max_size=30).filter(lambda s: len(s) != 18))
def test_uscc_of_wrong_length_is_invalid(code):
    assert errors_of(BENCH, {"credit_code": code}) == [("credit_code", "uscc_invalid")]


@pytest.mark.parametrize("char", ["I", "O", "Z", "S", "V", "*"])
def test_uscc_with_excluded_letter_is_invalid(char):
    code = "91110000600037341L"
    mutated = code[:10] + char + code[11:]
    assert errors_of(BENCH, {"credit_code": mutated}) == [("credit_code", "uscc_invalid")]


# --- phone -----------------------------------------------------------------------------------------


@FAST
@given(st.from_regex(r"\A1[3-9][0-9]{9}\Z"))
def test_mainland_mobile_numbers_pass(phone):
    assert validate_form(ELDERLY, elderly(phone=phone))["phone"] == phone


@FAST
@given(st.from_regex(r"\A0[0-9]{2,3}-?[0-9]{7,8}\Z"))
def test_landlines_with_area_code_pass(phone):
    assert validate_form(ELDERLY, elderly(phone=phone))["phone"] == phone


@pytest.mark.parametrize(
    "phone",
    [
        "12800138000",  # no mobile prefix starts 12
        "1380013800",  # 10 digits
        "138001380000",  # 12 digits
        "23800138000",
        "1380013800a",
        "87654321",  # landline without area code
        "0571-876543",  # landline too short
        "0571--87654321",
        "phone",
    ],
)
def test_invalid_phone_numbers_fail(phone):
    assert codes(ELDERLY, elderly(phone=phone), "phone") == {"phone_invalid"}


@FAST
@given(st.text("0123456789", min_size=1, max_size=30).filter(lambda s: not s.startswith(("0", "1"))))
def test_digit_strings_not_starting_0_or_1_are_not_phones(phone):
    assert codes(ELDERLY, elderly(phone=phone), "phone") == {"phone_invalid"}


def test_spaces_in_a_phone_number_are_removed():
    assert validate_form(ELDERLY, elderly(phone="138 0013 8000"))["phone"] == "13800138000"


def test_phone_with_non_ascii_digits_is_rejected_or_normalised():
    try:
        clean = validate_form(ELDERLY, elderly(phone="13٨٠٠١٣٨٠٠٠"))
    except FormInvalid as exc:
        assert [(e.field, e.code) for e in exc.errors] == [("phone", "phone_invalid")]
    else:
        assert clean["phone"] == "13800138000"


def test_bank_account_with_full_width_digits_is_rejected_or_normalised():
    try:
        clean = validate_form(BENCH, {"bank_account": "６２２２０２１２３４５６７８"})
    except FormInvalid as exc:
        assert [(e.field, e.code) for e in exc.errors] == [("bank_account", "bank_account_invalid")]
    else:
        assert clean["bank_account"] == "62220212345678"


@pytest.mark.parametrize("account", ["1234567", "1" * 33, "6222-0212-3456", "62220212345678X"])
def test_invalid_bank_accounts_fail(account):
    assert errors_of(BENCH, {"bank_account": account}) == [("bank_account", "bank_account_invalid")]


# --- money and numbers -----------------------------------------------------------------------------


@FAST
@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_money_with_two_decimals_passes(amount):
    assert Decimal(validate_form(BENCH, {"amount": str(amount)})["amount"]) == amount


@FAST
@given(
    st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False),
    st.integers(1, 9),
    st.integers(1, 6),
)
def test_money_with_more_than_two_decimals_fails(amount, last_digit, extra_places):
    # e.g. 12.34 -> 12.34005: a non-zero digit beyond the second decimal place
    value = amount + Decimal(last_digit).scaleb(-(2 + extra_places))
    assert errors_of(BENCH, {"amount": str(value)}) == [("amount", "money_precision")]


def test_money_cannot_be_negative_and_respects_bounds():
    assert errors_of(BENCH, {"amount": "-0.01"}) == [("amount", "greater_than_equal")]
    assert errors_of(BENCH, {"capped_amount": "9.99"}) == [("capped_amount", "greater_than_equal")]
    assert errors_of(BENCH, {"capped_amount": "1000.01"}) == [("capped_amount", "less_than_equal")]
    assert validate_form(BENCH, {"capped_amount": "1000"}) == {"capped_amount": "1000"}


@pytest.mark.parametrize("amount", ["abc", "1,000", "NaN", "Infinity"])
def test_money_must_be_a_number(amount):
    assert [f for f, _ in errors_of(BENCH, {"amount": amount})] == ["amount"]


# --- choices, unknown fields, booleans -------------------------------------------------------------


@pytest.mark.parametrize("value", ["Alone", "nursing_home", "", 1])
def test_choice_outside_the_options_fails(value):
    assert codes(ELDERLY, elderly(living_arrangement=value), "living_arrangement") == {"literal_error"}


def test_multi_choice_accepts_listed_options_only():
    assert validate_form(BENCH, {"sectors": ["food", "retail"]}) == {"sectors": ["food", "retail"]}
    assert errors_of(BENCH, {"sectors": ["food", "mining"]}) == [("sectors.1", "literal_error")]


@pytest.mark.parametrize("name", ["nickname", "__class__", "resident_id_2"])
def test_unknown_fields_are_forbidden(name):
    assert errors_of(ELDERLY, elderly(**{name: "x"})) == [(name, "extra_forbidden")]


@pytest.mark.parametrize("value", ["yes", "true", "True", 1, 0, "1", "on", None])
def test_boolean_is_strict(value):
    expected = {"missing"} if value is None else {"bool_type"}
    assert codes(ELDERLY, elderly(hukou_local=value), "hukou_local") == expected


def test_false_is_a_valid_boolean_answer():
    assert validate_form(ELDERLY, elderly(hukou_local=False))["hukou_local"] is False


# --- conditional visibility ------------------------------------------------------------------------


def test_care_home_name_is_required_only_for_care_home():
    assert errors_of(ELDERLY, elderly(living_arrangement="care_home")) == [("care_home_name", "missing")]
    clean = validate_form(ELDERLY, elderly(living_arrangement="care_home", care_home_name="西湖颐养院"))
    assert clean["care_home_name"] == "西湖颐养院"
    for arrangement in ("alone", "with_family"):
        assert "care_home_name" not in validate_form(ELDERLY, elderly(living_arrangement=arrangement))


@pytest.mark.parametrize("arrangement", ["alone", "with_family"])
def test_care_home_name_sent_while_hidden_is_not_applicable(arrangement):
    data = elderly(living_arrangement=arrangement, care_home_name="西湖颐养院")
    assert errors_of(ELDERLY, data) == [("care_home_name", "not_applicable")]


def test_bank_account_follows_payment_method():
    assert errors_of(ELDERLY, elderly(payment_method="bank")) == [("bank_account", "missing")]
    clean = validate_form(ELDERLY, elderly(payment_method="bank", bank_account="6222021234567890"))
    assert clean["bank_account"] == "6222021234567890"
    data = elderly(bank_account="6222021234567890")  # paid to the social security card
    assert errors_of(ELDERLY, data) == [("bank_account", "not_applicable")]


# --- text length -----------------------------------------------------------------------------------


def test_text_length_bounds_from_the_spec():
    assert errors_of(BENCH, {"nickname": "a"}) == [("nickname", "string_too_short")]
    assert validate_form(BENCH, {"nickname": "ab"}) == {"nickname": "ab"}
    assert validate_form(BENCH, {"nickname": "abcde"}) == {"nickname": "abcde"}
    with pytest.raises(FormInvalid) as info:
        validate_form(BENCH, {"nickname": "abcdef"})
    [error] = info.value.errors
    assert (error.field, error.code, error.context) == ("nickname", "string_too_long", {"max_length": 5})


def test_full_name_limited_to_50_characters():
    assert validate_form(ELDERLY, elderly(full_name="名" * 50))["full_name"] == "名" * 50
    assert codes(ELDERLY, elderly(full_name="名" * 51), "full_name") == {"string_too_long"}


def test_text_is_capped_at_200_characters_even_if_the_spec_allows_more():
    assert validate_form(BENCH, {"essay": "x" * 200}) == {"essay": "x" * 200}
    with pytest.raises(FormInvalid) as info:
        validate_form(BENCH, {"essay": "x" * 201})
    [error] = info.value.errors
    assert (error.code, error.context) == ("string_too_long", {"max_length": 200})


@pytest.mark.parametrize("value", [123, ["a"], {"a": 1}])
def test_text_must_be_a_string(value):
    assert codes(ELDERLY, elderly(address=value), "address") == {"string_type"}


# --- all problems at once --------------------------------------------------------------------------


def test_every_problem_is_reported_at_once():
    data = {
        "full_name": "名" * 51,
        "resident_id": "abc",
        "phone": "12345",
        "hukou_local": "yes",
        "living_arrangement": "with_family",
        "care_home_name": "西湖颐养院",
        "payment_method": "cash",
        "surprise": 1,
    }
    with pytest.raises(FormInvalid) as info:
        validate_form(ELDERLY, data)
    found = {(e.field, e.code) for e in info.value.errors}
    assert found == {
        ("full_name", "string_too_long"),
        ("resident_id", "resident_id_format"),
        ("phone", "phone_invalid"),
        ("address", "missing"),
        ("hukou_local", "bool_type"),
        ("care_home_name", "not_applicable"),
        ("payment_method", "literal_error"),
        ("surprise", "extra_forbidden"),
    }
    assert len(info.value.errors) == len(found)  # each problem once
    for field in ("full_name", "resident_id", "address", "surprise"):
        assert field in str(info.value)


def test_empty_submission_lists_every_required_field():
    with pytest.raises(FormInvalid) as info:
        validate_form(ELDERLY, {})
    assert [(e.field, e.code) for e in info.value.errors] == [
        (name, "missing")
        for name in (
            "full_name",
            "resident_id",
            "phone",
            "address",
            "hukou_local",
            "living_arrangement",
            "payment_method",
        )
    ]


# --- control and bidirectional characters ----------------------------------------------------------

PLAIN_TEXT = ServiceSpec.model_validate(
    {
        "id": "plain-text-test",
        "version": 1,
        "title": "Plain text",
        "summary": "Text fields of every kind, one inside a group",
        "audience": ["citizen"],
        "owner": "civil-affairs",
        "legal_basis": "None",
        "time_limit_days": 10,
        "fields": [
            {"name": "name", "type": "text", "label": "Name", "required": False},
            {"name": "address", "type": "address", "label": "Address", "required": False},
            {"name": "story", "type": "textarea", "label": "Story", "required": False},
            {"name": "email", "type": "email", "label": "Email", "required": False},
            {
                "name": "members",
                "type": "group",
                "label": "Members",
                "required": False,
                "fields": [
                    {"name": "member_name", "type": "text", "label": "Name"},
                    {"name": "note", "type": "textarea", "label": "Note", "required": False},
                ],
            },
        ],
        "route": [{"id": "review", "title": "Review", "departments": ["civil-affairs"], "time_limit_days": 5}],
    }
)

# NUL, BEL, ESC (terminal colours), DEL, a C1 control, and every bidirectional control.
HIDDEN = ["\x00", "\x07", "\x1b", "\x7f", "\x9b", "\u061c", "\u200e", "\u200f"]
HIDDEN += [chr(c) for c in range(0x202A, 0x202F)] + [chr(c) for c in range(0x2066, 0x206A)]


@pytest.mark.parametrize("character", HIDDEN)
@pytest.mark.parametrize("field", ["name", "address", "story"])
def test_control_and_bidi_characters_are_refused_in_text(field, character):
    with pytest.raises(FormInvalid) as info:
        validate_form(PLAIN_TEXT, {field: f"Home{character}gnp.exe"})
    [error] = info.value.errors
    assert (error.field, error.code) == (field, "control_characters")
    assert error.context == {"character": f"U+{ord(character):04X}"}


def test_the_right_to_left_override_is_refused_in_the_shipped_form():
    assert codes(ELDERLY, elderly(address="杭州市西湖区\u202egnp.exe"), "address") == {"control_characters"}
    assert codes(ELDERLY, elderly(full_name="王\x1b[31m秀英"), "full_name") == {"control_characters"}


def test_control_characters_are_refused_inside_groups():
    members = [{"member_name": "王秀英"}, {"member_name": "李\u202e四"}, {"member_name": "张三", "note": "a\x00b"}]
    assert errors_of(PLAIN_TEXT, {"members": members}) == [
        ("members.1.member_name", "control_characters"),
        ("members.2.note", "control_characters"),
    ]


def test_other_field_kinds_refuse_them_too():
    assert codes(PLAIN_TEXT, {"email": "a\u202e@example.cn"}, "email") == {"control_characters"}
    assert codes(ELDERLY, elderly(phone="1380013\x008000"), "phone") == {"control_characters"}
    assert codes(ELDERLY, elderly(resident_id=VALID_ID[:10] + "\u200e" + VALID_ID[10:]), "resident_id") == {
        "control_characters"
    }


def test_a_multi_line_answer_keeps_its_line_breaks_and_tabs():
    story = "第一行\n第二行\r\n\t缩进的一行"
    assert validate_form(PLAIN_TEXT, {"story": story}) == {"story": story}
    members = [{"member_name": "张三", "note": "一\n二"}]
    assert validate_form(PLAIN_TEXT, {"members": members})["members"] == [{"member_name": "张三", "note": "一\n二"}]


@pytest.mark.parametrize("value", ["第一行\n第二行", "a\tb", "a\u2028b"])
def test_a_one_line_answer_has_no_line_breaks_or_tabs(value):
    assert codes(PLAIN_TEXT, {"name": value}, "name") == {"control_characters"}


def test_ordinary_text_of_every_script_is_kept():
    # Joiners (emoji, some scripts), full-width punctuation and right-to-left letters are text.
    for value in ("王秀英（东门）", "O'Brien-Smith", "👩\u200d👩\u200d👧", "محمد", "שלום"):
        assert validate_form(PLAIN_TEXT, {"name": value}) == {"name": value}


@FAST
@given(st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cf", "Zl", "Zp", "Cs"]), max_size=40))
def test_text_without_controls_is_never_refused_for_them(value):
    try:
        validate_form(PLAIN_TEXT, {"story": value})
    except FormInvalid as refused:
        assert all(e.code != "control_characters" for e in refused.errors)


def test_free_text_outside_forms_loses_control_and_direction_characters():
    from forms.validation import plain_text

    assert plain_text("  Home\u202egnp.exe\x00\x07\x1b[31m  ") == "Homegnp.exe[31m"
    assert plain_text("第一行\n第二行\t完") == "第一行\n第二行\t完"
