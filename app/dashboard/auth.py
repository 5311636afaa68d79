"""Who may use the dashboard and what each may see: users and roles in a TOML file, passwords stored hashed.

A regional commissioner sees every council; a council officer sees only their own council's children (and the
region's aggregate figures). The role is enforced where data is read (loaders.py), not in the pages.

The users file (default app/users.toml, or the path in RCC_USERS):

    [users.bolton]
    role = "council_officer"          # or "commissioner"
    la_code = "E08000001"             # council officers only
    name = "Bolton placements officer"
    password = "pbkdf2_sha256$600000$<salt hex>$<hash hex>"
    demo = true                       # the committed demo users only: they sign in on the embedded region alone

Add a user with `rcc users add NAME --role council_officer --la E08000001` (it prompts for the password). The file
is written readable by its owner only (0600): it holds the password hashes.

Signing in (`sign_in`) also locks a user name out after repeated failures (the [lockout] table of the access file,
app/access.toml or RCC_ACCESS) and logs every failure and lock-out to the `rcc.access` logger.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import logging
import os
import secrets
import tempfile
import threading
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from data import EMBEDDED_REGION
from data.toml_files import build_parameters, check_parameters, load_toml

ROLES = ("commissioner", "council_officer")
DEFAULT_USERS_FILE = Path(__file__).resolve().parent.parent / "users.toml"
DEFAULT_ACCESS_FILE = Path(__file__).resolve().parent.parent / "access.toml"
LOG = logging.getLogger("rcc.access")
SCHEME = "pbkdf2_sha256"
# OWASP's 2023 figure for PBKDF2-HMAC-SHA256: about 0.3 s per login here, slow enough to make guessing expensive.
ITERATIONS = 600_000


@dataclass(frozen=True)
class User:
    name: str  # login name
    role: str
    la_code: str = ""  # the council a council officer works for
    display_name: str = ""
    demo: bool = False  # a committed demo user: refused unless the dashboard is on the embedded synthetic region

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


def access_file() -> Path:
    return Path(os.environ.get("RCC_ACCESS", DEFAULT_ACCESS_FILE))


def hash_password(password: str, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"{SCHEME}${iterations}${salt.hex()}${digest.hex()}"


# What an unknown name is verified against, at the standard cost, so refusing it costs one verification as refusing
# a known name does. No password derives an all-zero digest, so it never matches.
DUMMY_HASH = f"{SCHEME}${ITERATIONS}${'5a' * 16}${'00' * 32}"


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
                        display_name=entry.get("name", name), demo=bool(entry.get("demo", False)))
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
        if not entry.get("password"):
            raise ValueError(f"{path}: user {name!r} has no password hash")
        users[name] = (user, entry["password"])
    return users


def authenticate(name: str, password: str, path: Path | None = None) -> User | None:
    """The user if the name and password match, else None (without saying which was wrong). An unknown name is
    verified against a dummy hash, so it costs the same one verification as a known name: its time does not
    tell an attacker which names exist."""
    entry = read_users(path).get(name.strip())
    stored = entry[1] if entry is not None else DUMMY_HASH
    matched = check_password(password, stored)
    return entry[0] if entry is not None and matched else None


@dataclass(frozen=True)
class LockoutPolicy:
    """After `max_failures` wrong passwords in a row a user name is refused for `minutes`, even with the right
    password: guessing at 0.3 s a try becomes a handful of guesses per lock-out instead of thousands an hour."""

    max_failures: int = 5
    minutes: float = 15.0

    def __post_init__(self) -> None:
        check_parameters("lockout", [(isinstance(self.max_failures, int) and self.max_failures >= 1,
                                      "max_failures must be a whole number of at least 1"),
                                     (isinstance(self.minutes, int | float) and self.minutes > 0,
                                      "minutes must be above 0")])


@dataclass(frozen=True)
class GroupRole:
    """What membership of one identity-provider group makes someone: a commissioner, or one council's officer."""

    role: str
    la_code: str = ""

    def __post_init__(self) -> None:
        User("group", self.role, self.la_code)  # the same rules as a local user's role and council


@dataclass(frozen=True)
class SsoMapping:
    """Single sign-on (Streamlit's st.login, OpenID Connect): which claim lists a person's groups, and each group's
    role. The provider itself (client id and secret, its metadata URL) is in Streamlit's secrets, `[auth]`."""

    claim: str = "groups"
    provider: str = ""  # a named provider, [auth.NAME] in the secrets; "" for [auth] itself
    label: str = "Sign in with your council's account"
    groups: dict[str, GroupRole] = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        return bool(self.groups)


@dataclass(frozen=True)
class AccessConfig:
    """The access file (app/access.toml, or RCC_ACCESS): how sign-in is guarded, and who single sign-on admits."""

    lockout: LockoutPolicy = field(default_factory=LockoutPolicy)
    sso: SsoMapping = field(default_factory=SsoMapping)


def read_access(path: Path | None = None) -> AccessConfig:
    path = path or access_file()
    if not path.exists():
        return AccessConfig()
    return load_toml(path, _access_config)


def _access_config(values: dict) -> AccessConfig:
    values = dict(values)
    sso = dict(values.pop("sso", {}))
    groups = sso.pop("groups", {})
    if not isinstance(groups, dict) or not all(isinstance(g, dict) for g in groups.values()):
        raise ValueError('[sso.groups] maps each group to a table: "group" = { role = ..., la_code = ... }')
    mapping = build_parameters(SsoMapping, sso)
    try:
        roles = {name: build_parameters(GroupRole, entry) for name, entry in groups.items()}
    except ValueError as exc:
        raise ValueError(f"[sso.groups]: {exc}") from None
    config = build_parameters(AccessConfig, values, {"lockout": LockoutPolicy})
    return dataclasses.replace(config, sso=dataclasses.replace(mapping, groups=roles))


def user_from_claims(claims: dict, sso: SsoMapping) -> SignIn:
    """The rcc user an identity provider's claims make, through the group mapping; or a refusal saying why. A
    commissioner's group wins over officers' groups; officers' groups of two councils are refused, as rcc gives an
    officer one council."""
    login = str(claims.get("email") or claims.get("preferred_username") or claims.get("sub") or "")
    groups = claims.get(sso.claim) or []
    groups = [groups] if isinstance(groups, str) else list(groups)
    roles = [sso.groups[g] for g in groups if g in sso.groups]
    display = str(claims.get("name") or login)
    if not roles:
        LOG.warning("single sign-on refused for %r: groups %s map to no rcc role", login, groups)
        return SignIn(None, f"You are signed in as {login}, but none of your groups gives a role in rcc (a regional "
                            "commissioner or a council's officer). Ask whoever runs this dashboard to map your "
                            "group, then sign in again.")
    if any(r.role == "commissioner" for r in roles):
        user = User(login, "commissioner", display_name=display)
    else:
        councils = sorted({r.la_code for r in roles})
        if len(councils) > 1:
            LOG.warning("single sign-on refused for %r: officer groups of councils %s", login, councils)
            return SignIn(None, f"You are signed in as {login}, but your groups make you an officer of more than "
                                f"one council ({', '.join(councils)}); rcc gives an officer one. Ask whoever runs "
                                "this dashboard.")
        user = User(login, "council_officer", councils[0], display_name=display)
    LOG.info("signed in by single sign-on: %r (%s)", login, user.role)
    return SignIn(user)


class Lockouts:
    """Consecutive failures per user name, shared by every session of one dashboard process. Unknown names are
    counted and locked like known ones, so a lock-out does not reveal which names exist. Kept in memory: a restart
    forgives, which an attacker cannot trigger from the login page."""

    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, int] = {}
        self._until: dict[str, float] = {}

    def seconds_left(self, name: str) -> float:
        with self._lock:
            left = self._until.get(name, 0.0) - self._clock()
            if left <= 0 and name in self._until:  # the lock has run out: a fresh run of N tries
                del self._until[name]
                self._failures.pop(name, None)
            return max(left, 0.0)

    def failed(self, name: str, policy: LockoutPolicy) -> bool:
        """Count a failure; True when it locks the name."""
        with self._lock:
            if len(self._failures) > MAX_TRACKED_NAMES:  # a flood of invented names must not fill the memory
                self._failures = {n: c for n, c in self._failures.items() if n in self._until}
            count = self._failures.get(name, 0) + 1
            self._failures[name] = count
            if count >= policy.max_failures:
                self._until[name] = self._clock() + policy.minutes * 60
                return True
            return False

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(name, None)


MAX_TRACKED_NAMES = 10_000
LOCKOUTS = Lockouts()


@dataclass(frozen=True)
class SignIn:
    user: User | None
    message: str = ""  # why not, in words fit for the login page (never a path, never which part was wrong)


WRONG = "That user name and password do not match."


def is_embedded_region(region: Path) -> bool:
    return Path(region).resolve() == EMBEDDED_REGION.resolve()


def sign_in(name: str, password: str, region: Path, users: Path | None = None, access: Path | None = None,
            lockouts: Lockouts = LOCKOUTS) -> SignIn:
    """The login form's one call: the lock-out, the password and the demo users' rule, each refusal logged."""
    login = name.strip()
    policy = read_access(access).lockout
    left = lockouts.seconds_left(login)
    if left > 0:
        LOG.warning("sign-in refused for %r: locked out (%.0f s left)", login, left)
        return SignIn(None, f"Too many wrong passwords for this user name: try again in {_minutes(left)}.")
    user = authenticate(login, password, users)
    if user is None:
        if lockouts.failed(login, policy):
            LOG.warning("sign-in failed for %r; %d failures in a row: locked out for %g minutes", login,
                        policy.max_failures, policy.minutes)
            return SignIn(None, f"{WRONG} Too many wrong passwords: this user name is locked for "
                                f"{_minutes(policy.minutes * 60)}.")
        LOG.warning("sign-in failed for %r", login)
        return SignIn(None, WRONG)
    lockouts.succeeded(login)
    if user.demo and not is_embedded_region(region):
        LOG.warning("sign-in refused for demo user %r: the data is not the embedded synthetic region", login)
        return SignIn(None, "The demo users sign in only on the embedded synthetic region. On real data, sign in "
                            "with an account made by `rcc users add` (ask whoever runs this dashboard).")
    LOG.info("signed in: %r (%s)", login, user.role)
    return SignIn(user)


def _minutes(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


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
        lines += [f"name = {json.dumps(u.display_name)}", f"password = {json.dumps(stored)}"]
        if u.demo:
            lines.append("demo = true")
        lines.append("")
    _write_private(path, "\n".join(lines))
    return user


def readable_by_others(path: Path) -> bool:
    """A users file with real accounts that other accounts on the machine can read (a copy made by hand, say).
    The committed demo file is left alone: git checks it out 0644, and its passwords are published anyway."""
    if not path.exists() or not path.stat().st_mode & 0o077:
        return False
    return not all(user.demo for user, _ in read_users(path).values())


def _write_private(path: Path, text: str) -> None:
    """Write the file readable and writable by its owner only (0600), whatever the umask, and whole or not at all:
    a temporary file made 0600 by mkstemp, then renamed over the old one (which also drops a looser old mode)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w") as out:
            out.write(text)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
