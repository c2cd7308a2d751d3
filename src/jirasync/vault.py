"""Secrets at rest: AES-256-GCM with a key from ``JIRASYNC_SECRET_KEY`` or a 0600 key file.

``Secret`` wraps a plaintext in memory so it cannot leak through ``repr``/``str``/logging; call
``reveal()`` at the one place the value is needed (an auth flow building a header).
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from jirasync.exceptions import SecretError

KEY_ENV = "JIRASYNC_SECRET_KEY"
PREFIX = "v1:"
GENERATE_HINT = (
    "set JIRASYNC_SECRET_KEY to 32 random bytes, base64url-encoded, e.g. the output of "
    "`python -c \"import base64,os;print(base64.urlsafe_b64encode(os.urandom(32)).decode())\"`"
)


class Secret:
    """A secret string that never shows itself by accident."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> tuple[object, ...]:  # never pickled in plaintext
        raise TypeError("Secret values cannot be pickled")


def _decode_key(text: str, origin: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except (binascii.Error, ValueError):
        raise SecretError(f"{origin} is not base64url text", fix=GENERATE_HINT) from None
    if len(key) != 32:
        raise SecretError(f"{origin} must decode to 32 bytes, got {len(key)}", fix=GENERATE_HINT)
    return key


def load_key(key_file: Path) -> bytes:
    """The key from the environment, else from ``key_file`` (created 0600 on first use)."""
    env = os.environ.get(KEY_ENV)
    if env:
        return _decode_key(env, KEY_ENV)
    try:
        return _decode_key(key_file.read_text(), str(key_file))
    except FileNotFoundError:
        pass
    key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = AESGCM.generate_key(bit_length=256)
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return _decode_key(key_file.read_text(), str(key_file))
    with os.fdopen(fd, "w") as fh:
        fh.write(base64.urlsafe_b64encode(key).decode())
    return key


class Vault:
    """Encrypts and decrypts secret strings; ``context`` binds a ciphertext to its owner (AAD)."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "Vault(key=**********)"

    def encrypt(self, plaintext: str, context: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, token: str, context: str) -> str:
        if not token.startswith(PREFIX):
            raise SecretError("stored secret has an unknown format")
        try:
            raw = base64.urlsafe_b64decode(token[len(PREFIX) :])
            return self._aead.decrypt(raw[:12], raw[12:], context.encode()).decode()
        except (InvalidTag, ValueError, binascii.Error):
            raise SecretError(
                "a stored secret cannot be decrypted with this key",
                fix=f"use the {KEY_ENV} (or key file) the secret was stored with, or rotate the secret",
            ) from None
