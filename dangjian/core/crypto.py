"""Commercial cryptography (密评): SM3 hashing, HMAC-SM3 blind indexes and SM4-GCM field encryption.

Ciphertext format: ``sm4gcm$<key id>$<base64(nonce | ciphertext | tag)>``. The key id (first 8 hex
digits of SM3 of the key) lets old keys keep decrypting during a rotation (FIELD_ENCRYPTION_OLD_KEYS).
"""

from __future__ import annotations

import base64
import hmac as std_hmac
import os
import unicodedata
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "sm4gcm"
NONCE_BYTES = 12
TAG_BYTES = 16


class DecryptionError(ValueError):
    """A stored value could not be decrypted with any configured key."""


def sm3_hex(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


def hmac_sm3(key: bytes, data: bytes | str) -> bytes:
    if isinstance(data, str):
        data = data.encode("utf-8")
    mac = crypto_hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize()


def _parse_key(value: str) -> bytes:
    try:
        key = bytes.fromhex(value)
    except ValueError as exc:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must be 32 hex digits (a 128-bit SM4 key)") from exc
    if len(key) != 16:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must be 32 hex digits (a 128-bit SM4 key)")
    return key


def key_id(key: bytes) -> str:
    return sm3_hex(key)[:8]


@lru_cache(maxsize=8)
def _keys(current: str, old: tuple[str, ...]) -> tuple[bytes, dict[str, bytes]]:
    cur = _parse_key(current)
    ring = {key_id(cur): cur}
    for value in old:
        k = _parse_key(value)
        ring.setdefault(key_id(k), k)
    return cur, ring


def current_keys() -> tuple[bytes, dict[str, bytes]]:
    return _keys(settings.FIELD_ENCRYPTION_KEY, tuple(settings.FIELD_ENCRYPTION_OLD_KEYS))


def index_key() -> bytes:
    """The blind-index key: FIELD_INDEX_KEY if set, else derived from the current encryption key."""
    if settings.FIELD_INDEX_KEY:
        return _parse_key(settings.FIELD_INDEX_KEY)
    return hmac_sm3(current_keys()[0], b"dangjian blind index v1")[:16]


def encrypt(plaintext: str) -> str:
    key, _ = current_keys()
    nonce = os.urandom(NONCE_BYTES)
    enc = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    body = enc.update(plaintext.encode("utf-8")) + enc.finalize()
    blob = base64.b64encode(nonce + body + enc.tag).decode("ascii")
    return f"{PREFIX}${key_id(key)}${blob}"


def decrypt(token: str) -> str:
    try:
        prefix, kid, blob = token.split("$", 2)
        raw = base64.b64decode(blob, validate=True)
    except ValueError as exc:
        raise DecryptionError("not an encrypted value") from exc
    _, ring = current_keys()
    if prefix != PREFIX or kid not in ring or len(raw) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError(f"no key for encrypted value (key id {kid})")
    nonce, body, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    dec = Cipher(algorithms.SM4(ring[kid]), modes.GCM(nonce, tag)).decryptor()
    try:
        return (dec.update(body) + dec.finalize()).decode("utf-8")
    except InvalidTag as exc:
        raise DecryptionError("encrypted value was altered") from exc


def needs_rotation(token: str) -> bool:
    return not token.startswith(f"{PREFIX}${key_id(current_keys()[0])}$")


def normalise(value: str) -> str:
    """Canonical form for exact look-up: full-width → half-width, no spaces, upper case (ID 'x')."""
    return "".join(unicodedata.normalize("NFKC", value).split()).upper()


def blind_index(value: str) -> str:
    return hmac_sm3(index_key(), normalise(value)).hex()[:32]


def constant_time_equals(a: str, b: str) -> bool:
    return std_hmac.compare_digest(a.encode(), b.encode())


def mask(value: str, kind: str = "generic") -> str:
    """Mask a sensitive value for display: 110***********1234, 138****5678, 北京市****."""
    if not value:
        return ""
    if kind == "id_number" and len(value) > 7:
        return value[:3] + "*" * (len(value) - 7) + value[-4:]
    if kind == "phone" and len(value) >= 7:
        return value[:3] + "*" * (len(value) - 7) + value[-4:]
    if kind == "address":
        return value[: min(6, max(1, len(value) // 3))] + "****"
    if len(value) <= 2:
        return "*" * len(value)
    return value[0] + "*" * (len(value) - 2) + value[-1]
