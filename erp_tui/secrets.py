"""Secrets at rest: Fernet encryption with a key from the environment or a 0600 key file."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from erp_tui.errors import ErpTuiError

MASK = "••••••"
KEY_FILE_NAME = "secret.key"


class SecretBox:
    """Encrypts and decrypts secret config values."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)
        self._digest_key = hashlib.sha256(b"erp-tui digest\0" + key).digest()

    def __repr__(self) -> str:
        return "SecretBox(<hidden>)"

    def digest(self, data: str) -> str:
        """A keyed digest of `data`: equal inputs give equal digests, nothing can be read back."""
        return hmac.new(self._digest_key, data.encode(), hashlib.sha256).hexdigest()

    @classmethod
    def from_settings(cls, secret_key: str, data_dir: Path) -> SecretBox:
        """Use `secret_key` when given, else the key file in `data_dir` (created 0600)."""
        if secret_key:
            try:
                return cls(secret_key.encode())
            except ValueError as exc:
                raise ErpTuiError("ERP_TUI_SECRET_KEY is not a valid key; generate one with "
                                  "'erp-tui secret-key'.") from exc
        return cls(load_or_create_key_file(data_dir / KEY_FILE_NAME))

    @classmethod
    def from_passphrase(cls, passphrase: str, salt: bytes) -> SecretBox:
        """A box keyed by a passphrase (for portable exports)."""
        from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

        raw = Scrypt(salt=salt, length=32, n=2**14, r=8, p=1).derive(passphrase.encode())
        return cls(base64.urlsafe_b64encode(raw))

    def encrypt(self, value: str) -> str:
        """Encrypt a clear-text value."""
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        """Decrypt a token made by `encrypt` with the same key."""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ErpTuiError("A stored secret cannot be decrypted with this key; set the "
                              "original ERP_TUI_SECRET_KEY or enter the password again.") from exc


def load_or_create_key_file(path: Path) -> bytes:
    """Read the key file, creating it with owner-only permissions when missing."""
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


def new_key() -> str:
    """A fresh key for ERP_TUI_SECRET_KEY."""
    return Fernet.generate_key().decode()
