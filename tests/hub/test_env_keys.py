"""Keys given in environment variables (QINQING_SIGNING_KEYS, QINQING_DATA_KEYS), for platforms
that mount no files: they win over the key directories, nothing is generated, and a malformed value
refuses to start, naming the variable and never a key."""

from __future__ import annotations

import base64
import json
import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub import sealing
from hub.documents.signing import signing_key_ring
from hub.sealing import DataKeys, SealError, configure_from
from hub.settings import SettingsError, load_settings

FACTS = {"number": "西民〔2026〕1号", "kind": "approval"}


@pytest.fixture(autouse=True)
def process_keys_kept():
    # configure_from sets the process's data keys: put back those other tests use.
    kept = sealing._keys
    yield
    sealing._keys = kept


def pem() -> str:
    return (
        Ed25519PrivateKey.generate()
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )


def aes_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def env(tmp_path, **variables: str) -> dict[str, str]:
    return {"QINQING_VAR_DIR": str(tmp_path), **{f"QINQING_{k.upper()}": v for k, v in variables.items()}}


def test_keys_are_loaded_from_the_environment_and_nothing_is_generated(tmp_path):
    signing = {"k2026a": pem(), "k2026b": pem()}
    settings = load_settings(
        env(tmp_path, signing_keys=json.dumps(signing), data_keys=f"d1:{aes_key()}, d2:{aes_key()}")
    )
    ring = signing_key_ring(settings)
    assert ring.ensure_key() == "k2026b"  # the greatest id signs
    assert configure_from(settings).ensure_key() == "d2"
    assert not settings.signing_keys_path.exists() and not settings.data_keys_path.exists()
    with pytest.raises(RuntimeError, match="QINQING_SIGNING_KEYS"):
        ring.rotate()


def test_the_environment_wins_over_a_configured_directory(tmp_path):
    empty = tmp_path / "mounted-but-empty"
    empty.mkdir()
    settings = load_settings(
        env(
            tmp_path,
            signing_key_dir=str(empty),
            data_key_dir=str(empty),
            signing_keys=json.dumps({"k1": pem()}),
            data_keys=f"d1:{aes_key()}",
        )
    )
    assert signing_key_ring(settings).ensure_key() == "k1"
    assert DataKeys(settings.data_keys_path).ensure_key()  # (the directory alone would make a key)
    assert configure_from(settings).ensure_key() == "d1"


@pytest.mark.parametrize(
    "variable, value",
    [
        ("SIGNING_KEYS", "not json"),
        ("SIGNING_KEYS", "{}"),
        ("SIGNING_KEYS", '["a"]'),
        ("SIGNING_KEYS", json.dumps({"k1": "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n"})),
        ("SIGNING_KEYS", json.dumps({"k:1": "x"})),
        ("DATA_KEYS", "c2VjcmV0"),
        ("DATA_KEYS", "d1:c2VjcmV0"),  # not 32 bytes
        ("DATA_KEYS", "d1:!!!not-base64!!!"),
        ("DATA_KEYS", "d/1:" + base64.b64encode(b"s" * 32).decode()),
        ("DATA_KEYS", "d1:{0},d1:{0}".format(base64.b64encode(b"s" * 32).decode())),
    ],
)
def test_a_malformed_value_refuses_to_start_naming_the_variable_not_the_key(tmp_path, variable, value):
    with pytest.raises(SettingsError) as raised:
        load_settings(env(tmp_path, **{variable.lower(): value}))
    message = str(raised.value)
    assert f"QINQING_{variable}" in message
    assert "c2VjcmV0" not in message and "!!!" not in message and "s" * 32 not in message


def test_a_signing_key_that_is_not_ed25519_is_refused(tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key

    other = (
        generate_private_key(SECP256R1())
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )
    with pytest.raises(SettingsError, match="QINQING_SIGNING_KEYS: key 'k1' is not an Ed25519"):
        load_settings(env(tmp_path, signing_keys=json.dumps({"k1": other})))


def test_a_document_signed_with_environment_keys_verifies_on_another_machine(tmp_path):
    variables = env(tmp_path, signing_keys=json.dumps({"k1": pem()}))
    one = signing_key_ring(load_settings(variables))
    other = signing_key_ring(load_settings({**variables, "QINQING_VAR_DIR": str(tmp_path / "other")}))
    signature = one.sign(FACTS)
    assert signature.key_id == "k1" and other.verify(FACTS, signature)
    assert not other.verify({**FACTS, "kind": "rejection"}, signature)
    assert other.public("k2") is None


def test_a_signing_key_added_to_the_variable_signs_and_the_old_one_still_verifies(tmp_path):
    old_pem = pem()
    before = signing_key_ring(load_settings(env(tmp_path, signing_keys=json.dumps({"k1": old_pem}))))
    old_signature = before.sign(FACTS)
    after = signing_key_ring(load_settings(env(tmp_path, signing_keys=json.dumps({"k1": old_pem, "k2": pem()}))))
    assert after.sign(FACTS).key_id == "k2"
    assert after.verify(FACTS, old_signature)


def test_data_sealed_with_environment_keys_opens(tmp_path):
    variables = env(tmp_path, data_keys=f"d1:{aes_key()}")
    sealed = configure_from(load_settings(variables)).seal("13800138000", "answers.phone")
    assert sealed.startswith("enc1:d1:")
    elsewhere = configure_from(load_settings({**variables, "QINQING_VAR_DIR": str(tmp_path / "other")}))
    assert elsewhere.open(sealed, "answers.phone") == "13800138000"
    blob = elsewhere.seal_bytes(b"%PDF-1.7", "document:k")
    assert configure_from(load_settings(variables)).open_bytes(blob, "document:k") == b"%PDF-1.7"


def test_a_data_key_rotation_the_newest_seals_and_both_open(tmp_path):
    old, new = aes_key(), aes_key()
    before = configure_from(load_settings(env(tmp_path, data_keys=f"d20260101:{old}")))
    sealed_before = before.seal("110101199001011234", "answers.id")
    after = configure_from(load_settings(env(tmp_path, data_keys=f"d20260101:{old},d20261201:{new}")))
    sealed_after = after.seal("110101199001011234", "answers.id")
    assert sealed_after.startswith("enc1:d20261201:")
    assert after.open(sealed_before, "answers.id") == "110101199001011234"
    assert after.open(sealed_after, "answers.id") == "110101199001011234"
    # Without the new key, what it sealed does not open: every machine needs the same variable.
    with pytest.raises(SealError):
        before.open(sealed_after, "answers.id")
