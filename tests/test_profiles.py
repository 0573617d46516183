"""Profiles: TOML round trip, secrets only when asked and then 0600, built-in sandbox clients."""

import stat
import tomllib
from dataclasses import replace

import pytest

from pkce_tui.core import profiles
from pkce_tui.core.errors import InputError
from pkce_tui.core.profiles import Profile


@pytest.fixture(autouse=True)
def config_home(tmp_path, monkeypatch):
    monkeypatch.setenv(profiles.CONFIG_DIR_ENV, str(tmp_path))
    return tmp_path


def tenant_profile(**changes) -> Profile:
    values = dict(name="acme", dialect="cyberark", tenant_url="https://acme.id.cyberark.cloud",
                  app_id="acme_app", client_id="web", client_secret="s3cret",
                  auth_method="client_secret_basic", scope="openid email",
                  extra_params=(("prompt", "login"),))
    values.update(changes)
    return Profile(**values)


def test_config_dir_follows_the_override(config_home):
    assert profiles.config_dir() == config_home


def test_saved_profile_round_trips_without_its_secret(config_home):
    profiles.save_profile(tenant_profile())
    loaded = profiles.load_profiles()["acme"]
    assert loaded == tenant_profile(client_secret=None)
    assert "s3cret" not in (config_home / "profiles.toml").read_text()
    assert not (config_home / "secrets.toml").exists()


def test_secret_saved_when_asked_goes_to_a_0600_file(config_home):
    profiles.save_profile(tenant_profile(), with_secrets=True)
    secrets_path = config_home / "secrets.toml"
    assert stat.S_IMODE(secrets_path.stat().st_mode) == 0o600
    assert "s3cret" not in (config_home / "profiles.toml").read_text()
    assert profiles.load_profiles()["acme"].client_secret == "s3cret"


def test_extra_params_are_a_toml_table(config_home):
    profiles.save_profile(tenant_profile())
    document = tomllib.loads((config_home / "profiles.toml").read_text())
    assert document["profiles"]["acme"]["extra_params"] == {"prompt": "login"}


def test_delete_forgets_profile_and_secret(config_home):
    profiles.save_profile(tenant_profile(), with_secrets=True)
    profiles.delete_profile("acme")
    assert "acme" not in profiles.load_profiles()
    assert "acme" not in (config_home / "secrets.toml").read_text()


def test_last_profile_is_remembered():
    assert profiles.last_profile_name() is None
    profiles.remember_last("acme")
    assert profiles.last_profile_name() == "acme"


def test_builtin_profile_cannot_be_overwritten():
    builtin = profiles.builtin_profiles()["sandbox-cyberark-public"]
    with pytest.raises(InputError, match="built in"):
        profiles.save_profile(builtin)


def test_every_sandbox_client_is_a_builtin_profile():
    builtins = profiles.builtin_profiles()
    for dialect in profiles.SANDBOX_DIALECTS:
        assert builtins[f"sandbox-{dialect}-public"].client_id == "demo-public"
        assert builtins[f"sandbox-{dialect}-confidential"].client_secret == "demo-secret"


def test_sandbox_profile_resolves_against_the_running_sandbox():
    builtin = profiles.builtin_profiles()["sandbox-cyberark-public"]
    config = builtin.config_fields("http://127.0.0.1:5555/")
    assert config["issuer"] == "http://127.0.0.1:5555/cyberark/demo-app/"
    assert config["tenant_url"] == "http://127.0.0.1:5555/cyberark"
    assert "name" not in config and "sandbox" not in config


def test_sandbox_profile_without_a_sandbox_is_refused():
    with pytest.raises(InputError, match="sandbox"):
        profiles.builtin_profiles()["sandbox-generic-public"].config_fields()


def test_unknown_setting_in_the_file_is_a_clear_error(config_home):
    (config_home / "profiles.toml").write_text('[profiles.x]\ncolour = "red"\n')
    with pytest.raises(InputError, match="unknown setting 'colour'"):
        profiles.load_profiles()


def test_broken_toml_is_a_clear_error(config_home):
    (config_home / "profiles.toml").write_text("[profiles\n")
    with pytest.raises(InputError, match="not valid TOML"):
        profiles.load_profiles()


def test_every_builtin_logs_in_without_a_browser():
    assert {p.login for p in profiles.builtin_profiles().values()} == {"api"}


def test_a_builtin_edited_under_its_own_name_is_refused_even_without_its_flag(config_home):
    builtin = profiles.builtin_profiles()["sandbox-cyberark-public"]
    with pytest.raises(InputError, match="built in"):
        profiles.save_profile(replace(builtin, sandbox=False, scope="openid"))
    with pytest.raises(InputError, match="built in"):
        profiles.delete_profile("sandbox-cyberark-public")


def test_a_copy_of_a_builtin_keeps_running_on_the_sandbox(config_home):
    builtin = profiles.builtin_profiles()["sandbox-generic-public"]
    copy = replace(builtin, name="expired-id-token",
                   extra_params=(("sandbox_fault", "expired_id_token"),))
    profiles.save_profile(copy)
    loaded = profiles.load_profiles()["expired-id-token"]
    assert loaded.sandbox and loaded.extra_params == copy.extra_params
    fields_ = loaded.config_fields("http://127.0.0.1:5555")
    assert fields_["issuer"] == "http://127.0.0.1:5555/generic"
    assert "sandbox = true" in (config_home / profiles.PROFILES_FILE).read_text()


def test_a_sandbox_flag_that_is_not_a_boolean_is_a_clear_error(config_home):
    (config_home / profiles.PROFILES_FILE).write_text('[profiles.x]\nsandbox = "yes"\n')
    with pytest.raises(InputError, match="sandbox must be true or false"):
        profiles.load_profiles()
