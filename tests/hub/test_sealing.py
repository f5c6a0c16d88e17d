"""Personal data sealed at rest: AES-GCM, bound to its field, with key rotation by key id."""

from __future__ import annotations

import pytest

from hub.sealing import DataKeys, SealError, is_sealed


@pytest.fixture
def ring(tmp_path):
    return DataKeys(tmp_path / "keys")


def test_a_sealed_value_opens_and_hides_the_clear_text(ring):
    sealed = ring.seal("330106194003150011", "account.resident_id")
    assert is_sealed(sealed) and "330106194003150011" not in sealed
    assert ring.open(sealed, "account.resident_id") == "330106194003150011"
    # Same value, fresh nonce: equal values are not recognisable in the database.
    assert ring.seal("330106194003150011", "account.resident_id") != sealed


def test_a_first_key_is_made_on_first_use_with_private_permissions(ring):
    ring.seal("x", "f")
    (key_file,) = ring.directory.glob("*.key")
    assert key_file.stat().st_mode & 0o077 == 0


def test_old_values_still_open_after_a_rotation(ring):
    old = ring.seal("13800138000", "answers.phone")
    new_id = ring.rotate()
    new = ring.seal("13800138000", "answers.phone")
    assert new.split(":")[1] == new_id != old.split(":")[1]
    assert ring.open(old, "answers.phone") == ring.open(new, "answers.phone") == "13800138000"
    # Another process that loaded its keys before the rotation still opens the new value.
    assert DataKeys(ring.directory).open(new, "answers.phone") == "13800138000"


def test_a_value_moved_to_another_field_or_edited_does_not_open(ring):
    sealed = ring.seal("13800138000", "answers.phone")
    with pytest.raises(SealError):
        ring.open(sealed, "answers.bank_account")
    body = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises(SealError):
        ring.open(body, "answers.phone")


def test_clear_values_from_before_sealing_are_read_as_they_are(ring):
    assert ring.open("张三", "account.full_name") == "张三"


def test_answers_seal_personal_fields_only_inside_groups_too(tmp_path):
    from hub import sealing

    sealing.configure(tmp_path / "keys")
    personal = {"phone": "phone", "employees.resident_id": "resident_id"}
    answers = {
        "phone": "13800138000",
        "headcount": 2,
        "employees": [{"resident_id": "330106199205200024", "salary": "5000"}],
    }
    sealed = sealing.seal_answers(personal, answers)
    assert is_sealed(sealed["phone"]) and sealed["headcount"] == 2
    assert is_sealed(sealed["employees"][0]["resident_id"]) and sealed["employees"][0]["salary"] == "5000"
    assert "13800138000" not in str(sealed) and "330106199205200024" not in str(sealed)
    assert sealing.open_answers(personal, sealed) == answers


async def test_temporal_payloads_are_sealed_on_the_way_out_and_opened_on_the_way_back(ring, tmp_path):
    from temporalio.api.common.v1 import Payload

    from hub.temporal import data_converter

    converter = data_converter(ring)
    comment = {"verdict": "reject", "comment": "张三的户籍不在文三路88号"}
    (sealed,) = await converter.encode([comment])
    assert "文三路".encode() not in sealed.SerializeToString()
    assert await converter.decode([sealed], [dict]) == [comment]
    # Payloads written before sealing (in clear) still read; other keys open nothing.
    clear = Payload(metadata={"encoding": b"json/plain"}, data=b'{"a": 1}')
    assert await converter.decode([clear], [dict]) == [{"a": 1}]
    with pytest.raises(SealError):
        await data_converter(DataKeys(tmp_path / "other-keys")).decode([sealed], [dict])


def test_sealing_a_sealed_value_keeps_it(tmp_path):
    from hub import sealing

    sealing.configure(tmp_path)
    once = sealing.seal("张三", "account.full_name")
    assert sealing.seal(once, "account.full_name") == once
    assert sealing.unseal(once, "account.full_name") == "张三"


def test_a_digest_rows_are_found_by_stays_the_same_after_a_rotation(ring):
    # A resident, a person's open application or entitlement, a commitment's bar, a credential's
    # holder are found by these: a rotation that changed them would lose every one of them.
    before = ring.digest("330106194003150011", "resident")
    first = before.split(":")[0]
    assert ring.rotate() != first
    assert ring.digest("330106194003150011", "resident") == before
    # So does another process that loaded its keys after the rotation.
    assert DataKeys(ring.directory).digest("330106194003150011", "resident") == before
    assert ring.digest("330106194003150011", "credential-holder") != before  # a purpose of its own
    assert "330106194003150011" not in before
