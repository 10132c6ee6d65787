"""Secrets at rest: Fernet encryption with a key from the environment or a 0600 key file."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from erp_tui.errors import ErpTuiError
from erp_tui.i18n import msg

MASK = "••••••"
KEY_FILE_NAME = "secret.key"


WRONG_KEY_MESSAGE = msg("The stored secrets cannot be decrypted with this key: set "
                        "ERP_TUI_SECRET_KEY or restore secret.key.")


class SecretBox:
    """Encrypts and decrypts secret config values.

    A box opened with a key that does not fit the store's secrets carries that `problem`: every
    encrypt or decrypt then fails with it (nothing is encrypted with a second key).
    """

    def __init__(self, key: bytes, problem: str = "") -> None:
        self._fernet = Fernet(key)
        self._digest_key = hashlib.sha256(b"erp-tui digest\0" + key).digest()
        self.problem = problem

    def __repr__(self) -> str:
        return "SecretBox(<hidden>)"

    def digest(self, data: str) -> str:
        """A keyed digest of `data`: equal inputs give equal digests, nothing can be read back."""
        return hmac.new(self._digest_key, data.encode(), hashlib.sha256).hexdigest()

    @classmethod
    def from_settings(cls, secret_key: str, data_dir: Path,
                      stored_token: str | None = None) -> SecretBox:
        """Use `secret_key` when given, else the key file in `data_dir`.

        `stored_token` is one secret already in the store (None for a store without secrets).
        The key file is created (0600) only for a store without secrets; a missing key file or
        a key that cannot decrypt `stored_token` gives a box whose every use names the problem.
        """
        if secret_key:
            try:
                box = cls(secret_key.encode())
            except ValueError as exc:
                raise ErpTuiError(msg("ERP_TUI_SECRET_KEY is not a valid key; generate one "
                                      "with 'erp-tui secret-key'.")) from exc
        else:
            path = data_dir / KEY_FILE_NAME
            if stored_token is not None and not path.exists():
                return cls(Fernet.generate_key(), problem=msg(
                    "The stored secrets cannot be decrypted: the key file {path} is missing; "
                    "set ERP_TUI_SECRET_KEY or restore secret.key (a new key would not open "
                    "them).", path=str(path)))
            try:
                box = cls(load_or_create_key_file(path))
            except ValueError as exc:
                raise ErpTuiError(msg("The key file {path} does not hold a valid key; set "
                                      "ERP_TUI_SECRET_KEY or restore secret.key.",
                                      path=str(path))) from exc
        if stored_token is not None and not box.opens(stored_token):
            box.problem = WRONG_KEY_MESSAGE
        return box

    def opens(self, token: str) -> bool:
        """Whether this key decrypts `token`."""
        try:
            self._fernet.decrypt(token.encode())
        except (InvalidToken, ValueError, TypeError):
            return False
        return True

    @classmethod
    def from_passphrase(cls, passphrase: str, salt: bytes) -> SecretBox:
        """A box keyed by a passphrase (for portable exports)."""
        from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

        raw = Scrypt(salt=salt, length=32, n=2**14, r=8, p=1).derive(passphrase.encode())
        return cls(base64.urlsafe_b64encode(raw))

    def encrypt(self, value: str) -> str:
        """Encrypt a clear-text value."""
        if self.problem:
            raise ErpTuiError(self.problem)
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        """Decrypt a token made by `encrypt` with the same key."""
        if self.problem:
            raise ErpTuiError(self.problem)
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ErpTuiError(msg("A stored secret cannot be decrypted with this key: set the "
                                  "original ERP_TUI_SECRET_KEY or restore secret.key, or enter "
                                  "the password again.")) from exc


def load_or_create_key_file(path: Path) -> bytes:
    """Read the key file, creating it with owner-only permissions when missing."""
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = Fernet.generate_key()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


def new_key() -> str:
    """A fresh key for ERP_TUI_SECRET_KEY."""
    return Fernet.generate_key().decode()
