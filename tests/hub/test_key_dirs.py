"""Key directories: the embedded default makes a first key on first start; a directory set
explicitly (a secret every machine mounts) must already hold the keys, else the hub refuses to
start rather than make keys of its own, which would differ from machine to machine."""

from __future__ import annotations

import pytest

from hub.documents.signing import KeyRing
from hub.sealing import DataKeys
from hub.settings import SettingsError, load_settings


def test_the_default_directories_get_a_first_key(tmp_path):
    settings = load_settings({"QINQING_VAR_DIR": str(tmp_path)})
    assert not settings.signing_keys_path.exists() and not settings.data_keys_path.exists()
    assert KeyRing(settings.signing_keys_path).ensure_key()
    assert DataKeys(settings.data_keys_path).ensure_key()
    assert list(settings.signing_keys_path.glob("*.pem")) and list(settings.data_keys_path.glob("*.key"))


@pytest.mark.parametrize("variable", ["QINQING_SIGNING_KEY_DIR", "QINQING_DATA_KEY_DIR"])
def test_a_configured_directory_that_is_missing_refuses_to_start(tmp_path, variable):
    missing = tmp_path / "not-mounted"
    with pytest.raises(SettingsError, match=f"{variable[len('QINQING_') :]}.*not a directory"):
        load_settings({variable: str(missing)})
    assert not missing.exists()  # nothing made up


@pytest.mark.parametrize("variable", ["QINQING_SIGNING_KEY_DIR", "QINQING_DATA_KEY_DIR"])
def test_a_configured_directory_that_is_empty_refuses_to_start(tmp_path, variable):
    with pytest.raises(SettingsError, match="no key is generated"):
        load_settings({variable: str(tmp_path)})
    assert not any(tmp_path.iterdir())


def test_configured_directories_with_keys_are_used_as_they_are(tmp_path):
    # The keys an operator puts in the secret: made once, anywhere, then copied to every machine.
    signing, data = tmp_path / "signing", tmp_path / "data"
    signing_id, data_id = KeyRing(signing).rotate(), DataKeys(data).rotate()
    settings = load_settings({"QINQING_SIGNING_KEY_DIR": str(signing), "QINQING_DATA_KEY_DIR": str(data)})
    assert settings.signing_keys_path == signing and settings.data_keys_path == data

    # Two machines with the same secret: what one signs or seals, the other verifies or opens.
    one, other = KeyRing(settings.signing_keys_path), KeyRing(settings.signing_keys_path)
    facts = {"number": "西民〔2026〕1号"}
    signature = one.sign(facts)
    assert signature.key_id == signing_id and other.verify(facts, signature)
    sealed = DataKeys(settings.data_keys_path).seal("13800138000", "answers.phone")
    assert sealed.startswith(f"enc1:{data_id}:")
    assert DataKeys(settings.data_keys_path).open(sealed, "answers.phone") == "13800138000"
    assert len(list(signing.glob("*.pem"))) == 1 and len(list(data.glob("*.key"))) == 1  # none added


def test_every_problem_is_named_at_once(tmp_path):
    with pytest.raises(SettingsError) as raised:
        load_settings(
            {
                "QINQING_SIGNING_KEY_DIR": str(tmp_path / "a"),
                "QINQING_DATA_KEY_DIR": str(tmp_path / "b"),
                "QINQING_CONTENT_STORE_URL": "bucket",
            }
        )
    message = str(raised.value)
    assert "SIGNING_KEY_DIR" in message and "DATA_KEY_DIR" in message and "CONTENT_STORE_URL" in message
