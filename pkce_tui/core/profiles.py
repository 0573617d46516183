"""Saved connection profiles: what to talk to and as which client, kept as TOML.

Profiles live in `profiles.toml` under the user's config directory (platformdirs, or
`PKCE_TUI_CONFIG_DIR` when set). Secrets (client secret, password) are written only when the
user asks, and then to a separate `secrets.toml` readable by the owner alone (mode 0600), so the
profiles file can be shared or committed without leaking them. The sandbox's clients are
built-in profiles that need no file at all.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

import platformdirs
import tomli_w

from pkce_tui.core.errors import InputError
from pkce_tui.core.flow import ClientSettings

CONFIG_DIR_ENV = "PKCE_TUI_CONFIG_DIR"
PROFILES_FILE = "profiles.toml"
SECRETS_FILE = "secrets.toml"
SECRET_FIELDS = ("client_secret", "password")
DIALECTS = ("generic", "cyberark", "pingone", "cloudentity")
AUTH_METHODS = ("none", "client_secret_basic", "client_secret_post", "private_key_jwt")
#: Profile settings that are on/off switches (the optional protocol steps, and whether the
#: form login may post the password to another origin or over plain http).
SWITCHES = frozenset({"par", "dpop", "introspect", "revoke", "logout",
                      "allow_cross_origin_login"})
SANDBOX_DIALECTS = ("cyberark", "pingone", "generic", "cloudentity")


@dataclass(frozen=True)
class Profile(ClientSettings):
    """One target and client under a name; a profile plus this run's choices is a config.

    `sandbox` marks a profile whose endpoints live under the embedded sandbox's base URL,
    known only once the sandbox runs (see `config_fields`): the built-in ones, and copies of
    them saved under another name (say, with `sandbox_fault` among the extra parameters).
    """

    name: str = ""
    sandbox: bool = False

    def config_fields(self, sandbox_base_url: str | None = None) -> dict:
        """The `FlowConfig` keyword arguments for this profile.

        A sandbox profile's endpoints are resolved against `sandbox_base_url`: its issuer
        (discovery) plus the dialect's own coordinates (DESIGN.md §5).
        """
        skip = {"name", "sandbox"}
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}
        if self.sandbox:
            if sandbox_base_url is None:
                raise InputError(f"profile {self.name!r} needs the sandbox running")
            values.update(sandbox_coordinates(self.dialect, sandbox_base_url.rstrip("/")))
        return values

    def without_secrets(self) -> Profile:
        return replace(self, client_secret=None, password=None)

    @property
    def has_secrets(self) -> bool:
        return any(getattr(self, name) for name in SECRET_FIELDS)


def sandbox_coordinates(dialect: str, base: str) -> dict:
    """Where each sandbox dialect lives under the sandbox's base URL (DESIGN.md §5)."""
    coordinates = {
        "cyberark": {"issuer": f"{base}/cyberark/demo-app/", "tenant_url": f"{base}/cyberark",
                     "app_id": "demo-app"},
        "pingone": {"issuer": f"{base}/pingone/demo-env/as", "base_url": f"{base}/pingone",
                    "env_id": "demo-env"},
        "cloudentity": {"issuer": f"{base}/cloudentity/demo/demo-ws",
                        "base_url": f"{base}/cloudentity", "tenant": "demo",
                        "workspace": "demo-ws"},
        "generic": {"issuer": f"{base}/generic"},
    }
    return coordinates[dialect]


def builtin_profiles() -> dict[str, Profile]:
    """The sandbox's clients as ready-to-run profiles for demo user alice / pass.

    Each logs in without a browser, so F5 runs the whole flow: CyberArk and PingOne through
    their login APIs, generic and Cloudentity through the sandbox's HTML login form.
    """
    profiles = {}
    for dialect in SANDBOX_DIALECTS:
        common = {"dialect": dialect, "sandbox": True, "username": "alice", "password": "pass",
                  "login": "api"}
        for suffix, client in (("public", {"client_id": "demo-public"}),
                               ("confidential", {"client_id": "demo-confidential",
                                                 "client_secret": "demo-secret",
                                                 "auth_method": "client_secret_basic"}),
                               ("post", {"client_id": "demo-post", "client_secret": "demo-secret",
                                         "auth_method": "client_secret_post"})):
            name = f"sandbox-{dialect}-{suffix}"
            profiles[name] = Profile(name=name, **common, **client)
    return profiles


def is_builtin(name: str) -> bool:
    return name in builtin_profiles()


def config_dir() -> Path:
    """The directory profiles live in; `PKCE_TUI_CONFIG_DIR` overrides (tests, portable use)."""
    override = os.environ.get(CONFIG_DIR_ENV)
    return Path(override) if override else Path(platformdirs.user_config_dir("pkce-tui"))


def load_profiles() -> dict[str, Profile]:
    """Built-in profiles, then saved ones (with their stored secrets), by name."""
    profiles = builtin_profiles()
    saved = _read_toml(config_dir() / PROFILES_FILE).get("profiles", {})
    secrets = _read_toml(config_dir() / SECRETS_FILE).get("profiles", {})
    for name, table in saved.items():
        profiles[name] = profile_from_table(name, {**table, **secrets.get(name, {})})
    return profiles


def save_profile(profile: Profile, *, with_secrets: bool = False) -> Path:
    """Write `profile` to profiles.toml; its secrets go to secrets.toml only if asked.

    Without `with_secrets`, any secret stored earlier for this name is left as it was.
    """
    if is_builtin(profile.name):
        raise InputError(f"{profile.name!r} is built in; save it under another name")
    if not profile.name.strip():
        raise InputError("a profile needs a name")
    document = _read_toml(config_dir() / PROFILES_FILE)
    document.setdefault("profiles", {})[profile.name] = profile_to_table(profile.without_secrets())
    path = _write_toml(config_dir() / PROFILES_FILE, document)
    if with_secrets and profile.has_secrets:
        _store_secrets(profile)
    return path


def delete_profile(name: str) -> None:
    """Forget a saved profile and its stored secrets; built-in ones cannot be deleted."""
    if is_builtin(name):
        raise InputError(f"{name!r} is built in and cannot be deleted")
    for file_name in (PROFILES_FILE, SECRETS_FILE):
        path = config_dir() / file_name
        document = _read_toml(path)
        if document.get("profiles", {}).pop(name, None) is not None:
            _write_toml(path, document, private=file_name == SECRETS_FILE)


def last_profile_name() -> str | None:
    """The profile opened last, so `pkce-tui` can reopen it."""
    return _read_toml(config_dir() / PROFILES_FILE).get("last")


def remember_last(name: str) -> None:
    document = _read_toml(config_dir() / PROFILES_FILE)
    document["last"] = name
    _write_toml(config_dir() / PROFILES_FILE, document)


def profile_to_table(profile: Profile) -> dict:
    """A profile as a TOML table: unset values left out, extra parameters as a table."""
    table = {}
    for f in fields(profile):
        value = getattr(profile, f.name)
        if f.name == "name" or value is None or value == f.default:
            continue
        table[f.name] = dict(value) if f.name == "extra_params" else value
    return table


def profile_from_table(name: str, table: dict) -> Profile:
    """A profile from its TOML table; unknown keys and wrong types are an `InputError`."""
    known = {f.name for f in fields(Profile)} - {"name"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise InputError(f"profile {name!r}: unknown setting {unknown[0]!r}")
    values = dict(table)
    extra = values.pop("extra_params", {})
    if not isinstance(extra, dict):
        raise InputError(f"profile {name!r}: extra_params must be a table of strings")
    sandbox = values.pop("sandbox", False)
    if not isinstance(sandbox, bool):
        raise InputError(f"profile {name!r}: sandbox must be true or false")
    switches = [key for key in values if key in SWITCHES]
    bad = [key for key in switches if not isinstance(values[key], bool)]
    if bad:
        raise InputError(f"profile {name!r}: {bad[0]} must be true or false")
    bad = [key for key, value in values.items()
           if key not in switches and not isinstance(value, str)]
    if bad:
        raise InputError(f"profile {name!r}: {bad[0]} must be a string")
    pairs = tuple((str(key), str(value)) for key, value in extra.items())
    return Profile(name=name, extra_params=pairs, sandbox=sandbox, **values)


def _store_secrets(profile: Profile) -> None:
    path = config_dir() / SECRETS_FILE
    document = _read_toml(path)
    stored = {name: getattr(profile, name) for name in SECRET_FIELDS if getattr(profile, name)}
    document.setdefault("profiles", {})[profile.name] = stored
    _write_toml(path, document, private=True)


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML ({exc})") from exc


def _write_toml(path: Path, document: dict, *, private: bool = False) -> Path:
    """Write atomically; a private file is created 0600 so no one else ever reads it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                         0o600 if private else 0o644)
    with os.fdopen(descriptor, "wb") as handle:
        tomli_w.dump(document, handle)
    if private:
        os.chmod(temporary, 0o600)
    os.replace(temporary, path)
    return path
