"""Who may use the dashboard and what each may see: users and roles in a TOML file, passwords stored hashed.

A regional commissioner sees every council; a council officer sees only their own council's children (and the
region's aggregate figures). The role is enforced where data is read (loaders.py), not in the pages.

The users file (default app/users.toml, or the path in RCC_USERS):

    [users.bolton]
    role = "council_officer"          # or "commissioner"
    la_code = "E08000001"             # council officers only
    name = "Bolton placements officer"
    password = "pbkdf2_sha256$600000$<salt hex>$<hash hex>"

Add a user with `rcc users add NAME --role council_officer --la E08000001` (it prompts for the password).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROLES = ("commissioner", "council_officer")
DEFAULT_USERS_FILE = Path(__file__).resolve().parent.parent / "users.toml"
SCHEME = "pbkdf2_sha256"
# OWASP's 2023 figure for PBKDF2-HMAC-SHA256: about 0.3 s per login here, slow enough to make guessing expensive.
ITERATIONS = 600_000


@dataclass(frozen=True)
class User:
    name: str  # login name
    role: str
    la_code: str = ""  # the council a council officer works for
    display_name: str = ""

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"user {self.name!r}: role must be one of {', '.join(ROLES)} (got {self.role!r})")
        if self.role == "council_officer" and not self.la_code:
            raise ValueError(f"user {self.name!r}: a council officer needs la_code (their council's ONS code)")
        if self.role == "commissioner" and self.la_code:
            raise ValueError(f"user {self.name!r}: a commissioner sees every council, so takes no la_code")

    @property
    def sees_all_councils(self) -> bool:
        return self.role == "commissioner"


def users_file() -> Path:
    return Path(os.environ.get("RCC_USERS", DEFAULT_USERS_FILE))


def hash_password(password: str, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"{SCHEME}${iterations}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, iterations, salt, expected = stored.split("$")
        if scheme != SCHEME:
            return False
        digest = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), int(iterations))
    except ValueError:
        return False
    # constant time, so response time does not leak how much of the hash matched
    return hmac.compare_digest(digest.hex(), expected)


def read_users(path: Path | None = None) -> dict[str, tuple[User, str]]:
    """Login name -> (user, stored password hash). A malformed file is one ValueError naming it."""
    path = path or users_file()
    if not path.exists():
        return {}
    try:
        values = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from None
    users = {}
    for name, entry in values.get("users", {}).items():
        try:
            user = User(name=name, role=entry.get("role", ""), la_code=entry.get("la_code", ""),
                        display_name=entry.get("name", name))
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
        if not entry.get("password"):
            raise ValueError(f"{path}: user {name!r} has no password hash")
        users[name] = (user, entry["password"])
    return users


def authenticate(name: str, password: str, path: Path | None = None) -> User | None:
    """The user if the name and password match, else None (without saying which was wrong)."""
    entry = read_users(path).get(name.strip())
    if entry is None:
        check_password(password, hash_password("", iterations=ITERATIONS))  # same time whether or not the name exists
        return None
    user, stored = entry
    return user if check_password(password, stored) else None


def add_user(path: Path, name: str, role: str, password: str, la_code: str = "", display_name: str = "") -> User:
    """Add or replace one user in the file, keeping the others as they are."""
    user = User(name=name, role=role, la_code=la_code, display_name=display_name or name)
    if not name.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"login name {name!r}: use letters, digits, - and _ only")
    if len(password) < 8:
        raise ValueError("the password must be at least 8 characters")
    users = read_users(path) if path.exists() else {}
    users[name] = (user, hash_password(password))
    lines = ["# rcc dashboard users: passwords are PBKDF2-SHA256 hashes. Add users with `rcc users add`.", ""]
    for login, (u, stored) in users.items():
        # json.dumps writes a TOML basic string (quotes and backslashes escaped)
        lines += [f"[users.{login}]", f"role = {json.dumps(u.role)}"]
        if u.la_code:
            lines.append(f"la_code = {json.dumps(u.la_code)}")
        lines += [f"name = {json.dumps(u.display_name)}", f"password = {json.dumps(stored)}", ""]
    path.write_text("\n".join(lines))
    return user
