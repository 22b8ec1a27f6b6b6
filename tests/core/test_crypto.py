"""SM4-GCM field encryption, the HMAC-SM3 blind index, masking and key rotation."""

from __future__ import annotations

import base64
import secrets

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from dangjian.accounts.models import User
from dangjian.accounts.services import user_find_by_identifier
from dangjian.core import crypto
from tests.factories import UserFactory

KEY_A = secrets.token_hex(16)
KEY_B = secrets.token_hex(16)


def _raw_column(model, field: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {connection.ops.quote_name(field)} FROM {connection.ops.quote_name(model._meta.db_table)} WHERE id = %s",
            [pk],
        )
        return cursor.fetchone()[0]


@pytest.fixture
def key_a(settings):
    settings.FIELD_ENCRYPTION_KEY = KEY_A
    settings.FIELD_ENCRYPTION_OLD_KEYS = []
    settings.FIELD_INDEX_KEY = ""
    return settings


def test_it_round_trips_text():
    token = crypto.encrypt("北京市海淀区 110105194912310021")
    assert crypto.decrypt(token) == "北京市海淀区 110105194912310021"


def test_it_uses_a_fresh_nonce_every_time():
    first, second = crypto.encrypt("13812345678"), crypto.encrypt("13812345678")
    assert first != second
    assert crypto.decrypt(first) == crypto.decrypt(second) == "13812345678"


def test_ciphertext_names_the_algorithm_and_key():
    prefix, kid, _blob = crypto.encrypt("x").split("$")
    assert prefix == "sm4gcm"
    assert kid == crypto.key_id(crypto.current_keys()[0])


def test_it_refuses_a_tampered_value():
    prefix, kid, blob = crypto.encrypt("13812345678").split("$")
    raw = bytearray(base64.b64decode(blob))
    raw[14] ^= 0x01  # one bit of the ciphertext body
    tampered = f"{prefix}${kid}${base64.b64encode(bytes(raw)).decode()}"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(tampered)


@pytest.mark.parametrize("value", ["13812345678", "sm4gcm$deadbeef$AAAA", "sm4gcm$x$!!notbase64!!", ""])
def test_it_refuses_what_it_cannot_decrypt(value):
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(value)


def test_the_database_holds_ciphertext_not_plaintext(db):
    user = UserFactory(phone="13812345678")
    raw = _raw_column(User, "phone", user.pk)
    assert raw.startswith("sm4gcm$")
    assert "13812345678" not in raw
    assert User.objects.get(pk=user.pk).phone == "13812345678"


@pytest.mark.parametrize(
    "a,b",
    [
        ("13812345678", "１３８１２３４５６７８"),  # full-width digits
        ("13812345678", " 138 1234 5678 "),
        ("11010519491231002X", "11010519491231002x"),  # lower-case x of an ID number
        ("11010519491231002X", "１１０１０５ １９４９１２３１００２ｘ"),
    ],
)
def test_blind_index_is_equal_for_equal_normalised_values(a, b):
    assert crypto.blind_index(a) == crypto.blind_index(b)


def test_blind_index_differs_for_different_values():
    assert crypto.blind_index("13812345678") != crypto.blind_index("13812345679")


def test_blind_index_depends_on_the_index_key(settings):
    settings.FIELD_INDEX_KEY = ""
    derived = crypto.blind_index("13812345678")
    settings.FIELD_INDEX_KEY = KEY_B
    assert crypto.blind_index("13812345678") != derived


@pytest.mark.parametrize(
    "value,kind,masked",
    [
        ("110105194912311234", "id_number", "110***********1234"),
        ("13812345678", "phone", "138****5678"),
        ("北京市海淀区中关村大街1号", "address", "北京市海****"),
        ("张三丰", "generic", "张*丰"),
        ("", "phone", ""),
    ],
)
def test_it_masks_for_display(value, kind, masked):
    assert crypto.mask(value, kind) == masked


def test_old_values_need_the_old_key(db, key_a, settings):
    """GIVEN a phone written under key A WHEN key B replaces A without listing A as old THEN it cannot be read."""
    user = UserFactory(phone="13812345678")
    settings.FIELD_ENCRYPTION_KEY = KEY_B
    with pytest.raises(crypto.DecryptionError):
        User.objects.get(pk=user.pk)


def test_key_rotation_re_encrypts_and_rebuilds_the_blind_index(db, key_a, settings):
    """GIVEN values written under key A
    WHEN key B becomes current with A as an old key, rotate_field_key runs and A is then removed
    THEN old values decrypt at every step, the column ends on key B and phone log-in still finds the user."""
    user = UserFactory(phone="13812345678", totp_secret="JBSWY3DPEHPK3PXP")
    before = _raw_column(User, "phone", user.pk)
    assert before.split("$")[1] == crypto.key_id(bytes.fromhex(KEY_A))

    # Step 1: the new key plus the old key list.
    settings.FIELD_ENCRYPTION_KEY = KEY_B
    settings.FIELD_ENCRYPTION_OLD_KEYS = [KEY_A]
    assert User.objects.get(pk=user.pk).phone == "13812345678"

    # Step 2: re-encrypt (and rebuild indexes: without FIELD_INDEX_KEY the index key follows the current key).
    call_command("rotate_field_key", verbosity=0)
    after = _raw_column(User, "phone", user.pk)
    assert after.split("$")[1] == crypto.key_id(bytes.fromhex(KEY_B))

    # Step 3: remove the old key.
    settings.FIELD_ENCRYPTION_OLD_KEYS = []
    reloaded = User.objects.get(pk=user.pk)
    assert reloaded.phone == "13812345678"
    assert reloaded.totp_secret == "JBSWY3DPEHPK3PXP"
    assert user_find_by_identifier("13812345678") == user


def test_a_fixed_index_key_keeps_phone_lookup_working_during_rotation(db, key_a, settings):
    settings.FIELD_INDEX_KEY = secrets.token_hex(16)
    user = UserFactory(phone="13812345678")
    settings.FIELD_ENCRYPTION_KEY = KEY_B
    settings.FIELD_ENCRYPTION_OLD_KEYS = [KEY_A]
    assert user_find_by_identifier("13812345678") == user


def test_rotation_names_the_missing_key_instead_of_crashing(db, key_a, settings):
    UserFactory(phone="13812345678")
    settings.FIELD_ENCRYPTION_KEY = KEY_B  # A forgotten in FIELD_ENCRYPTION_OLD_KEYS
    with pytest.raises(CommandError, match="FIELD_ENCRYPTION_OLD_KEYS"):
        call_command("rotate_field_key", verbosity=0)
