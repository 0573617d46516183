"""The profile picker and form (F6): create, edit, protect the built-ins, keep secrets apart."""

from __future__ import annotations

import stat
import tomllib

import pytest
from conftest import pause_until
from textual.widgets import Checkbox, Input, OptionList, Select

from pkce_tui.core import profiles
from pkce_tui.core.flow import FlowConfig
from pkce_tui.tui.app import PkceTuiApp
from pkce_tui.tui.screens import ProfileForm, ProfilePicker

OFFLINE = FlowConfig(issuer="http://127.0.0.1:9/generic", client_id="demo-public")


@pytest.fixture(autouse=True)
def config_home(tmp_path, monkeypatch):
    monkeypatch.setenv(profiles.CONFIG_DIR_ENV, str(tmp_path))
    return tmp_path


async def open_form(pilot, button: str, profile_name: str | None = None) -> ProfileForm:
    await pilot.press("f6")
    await pause_until(pilot, lambda: isinstance(pilot.app.screen, ProfilePicker),
                      "the profile picker shown")
    picker = pilot.app.screen
    assert isinstance(picker, ProfilePicker)
    if profile_name is not None:
        option_list = picker.query_one(OptionList)
        option_list.highlighted = option_list.get_option_index(profile_name)
    picker.query_one(f"#{button}").press()
    await pause_until(pilot, lambda: form_mounted(pilot.app.screen), "the profile form shown")
    return pilot.app.screen


def form_mounted(screen) -> bool:
    """The profile form is on screen with every field mounted (so holding its values)."""
    return isinstance(screen, ProfileForm) and all(w.is_mounted for w in screen.query("*"))


def recording_notes(app: PkceTuiApp) -> list[str]:
    notes: list[str] = []
    app.notify = lambda message, **options: notes.append(message)
    return notes


def fill(form: ProfileForm, **values: str) -> None:
    for name, value in values.items():
        form.query_one(f"#{name}", Input).value = value


def saved_tables(config_home) -> dict:
    path = config_home / profiles.PROFILES_FILE
    return tomllib.loads(path.read_text()).get("profiles", {}) if path.exists() else {}


async def test_a_new_profile_is_saved_without_its_secret_unless_asked(config_home):
    app = PkceTuiApp(OFFLINE)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_form(pilot, "new")
        fill(form, name="acme", issuer="https://login.acme.test", client_id="acme-app",
             client_secret="s3cret")
        form.query_one("#auth_method", Select).value = "client_secret_post"
        form.query_one("#save").press()
        await pause_until(pilot, lambda: isinstance(app.screen, ProfilePicker),
                          "the form saved and closed")
        assert "acme" in app.screen.found
    table = saved_tables(config_home)["acme"]
    assert table["issuer"] == "https://login.acme.test"
    assert table["auth_method"] == "client_secret_post"
    assert "client_secret" not in table and not (config_home / profiles.SECRETS_FILE).exists()


async def test_the_secret_goes_to_a_0600_file_when_the_box_is_ticked(config_home):
    app = PkceTuiApp(OFFLINE)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_form(pilot, "new")
        fill(form, name="acme", issuer="https://login.acme.test", client_secret="s3cret")
        form.query_one("#with_secrets", Checkbox).value = True
        form.query_one("#save").press()
        await pause_until(pilot, lambda: app.screen is not form, "the form saved and closed")
    secrets = config_home / profiles.SECRETS_FILE
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    assert "s3cret" in secrets.read_text()
    assert "s3cret" not in (config_home / profiles.PROFILES_FILE).read_text()


async def test_a_builtin_cannot_be_overwritten_from_the_form(config_home):
    app = PkceTuiApp(OFFLINE)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_form(pilot, "edit", "sandbox-cyberark-public")
        notes = recording_notes(app)
        fill(form, scope="openid")
        form.query_one("#save").press()
        await pause_until(pilot, lambda: notes, "the refusal notified")
        assert app.screen is form  # still open, the refusal notified
        assert any("built in" in note for note in notes)
    assert saved_tables(config_home) == {}


async def test_a_builtin_saved_under_a_new_name_keeps_running_on_the_sandbox(config_home):
    app = PkceTuiApp(OFFLINE)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_form(pilot, "edit", "sandbox-generic-public")
        fill(form, name="expired", extra_params="sandbox_fault=expired_id_token")
        form.query_one("#save").press()
        await pause_until(pilot, lambda: app.screen is not form, "the form saved and closed")
    saved = profiles.load_profiles()["expired"]
    assert saved.sandbox and saved.login == "api" and saved.username == "alice"
    assert saved.extra_params == (("sandbox_fault", "expired_id_token"),)


async def test_editing_keeps_the_login_and_pkce_method_it_shows(config_home):
    profiles.save_profile(profiles.Profile(name="acme", issuer="https://login.acme.test",
                                           login="api", method="plain"))
    app = PkceTuiApp(OFFLINE)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_form(pilot, "edit", "acme")
        assert form.query_one("#login", Select).value == "api"
        form.query_one("#method", Select).value = "S256"
        form.query_one("#save").press()
        await pause_until(pilot, lambda: app.screen is not form, "the form saved and closed")
    table = saved_tables(config_home)["acme"]
    assert table["login"] == "api" and "method" not in table  # S256 is the default


async def test_a_builtin_cannot_be_deleted(config_home):
    app = PkceTuiApp(OFFLINE)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f6")
        await pause_until(pilot, lambda: isinstance(app.screen, ProfilePicker)
                          and app.screen.query("#delete"), "the profile picker shown")
        notes = recording_notes(app)
        app.screen.query_one("#delete").press()
        await pause_until(pilot, lambda: notes, "the refusal notified")
        assert "sandbox-cyberark-public" in app.screen.found
        assert any("cannot be deleted" in note for note in notes)


async def test_the_protocol_switches_and_client_key_are_saved(config_home):
    app = PkceTuiApp(OFFLINE)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_form(pilot, "new")
        fill(form, name="pkjwt", issuer="https://login.acme.test", client_id="acme-app",
             client_key="/keys/acme.pem", client_key_kid="k1",
             post_logout_redirect_uri="http://127.0.0.1:9/out")
        form.query_one("#auth_method", Select).value = "private_key_jwt"
        for name in ("par", "dpop", "logout"):
            form.query_one(f"#{name}", Checkbox).value = True
        form.query_one("#save").press()
        await pause_until(pilot, lambda: app.screen is not form, "the form saved and closed")
    table = saved_tables(config_home)["pkjwt"]
    assert (table["par"], table["dpop"], table["logout"]) == (True, True, True)
    assert "introspect" not in table and "revoke" not in table
    assert (table["client_key"], table["client_key_kid"]) == ("/keys/acme.pem", "k1")
    assert table["auth_method"] == "private_key_jwt"
    loaded = profiles.load_profiles()["pkjwt"]
    assert loaded.par and loaded.dpop and not loaded.revoke


async def test_the_cross_origin_login_switch_is_saved_and_reaches_the_flow(config_home):
    """Issue 12: the form login refuses to post a password cross-origin or over plain http
    unless allowed; the profile form is the TUI's way to allow it."""
    app = PkceTuiApp(OFFLINE)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_form(pilot, "new")
        fill(form, name="legacy", issuer="http://idp.corp.test", client_id="legacy-app")
        form.query_one("#allow_cross_origin_login", Checkbox).value = True
        form.query_one("#save").press()
        await pause_until(pilot, lambda: app.screen is not form, "the form saved and closed")
    assert saved_tables(config_home)["legacy"]["allow_cross_origin_login"] is True
    loaded = profiles.load_profiles()["legacy"]
    assert loaded.allow_cross_origin_login
    assert PkceTuiApp.for_profile(loaded).flow.config.allow_cross_origin_login


def test_the_refusal_says_how_to_allow_it_in_the_tui_too():
    from pkce_tui.core.login import password_destination_problem

    problem = password_destination_problem("http://other.test/login",
                                           "https://idp.test/authorize")
    assert "--allow-cross-origin-login" in problem
    assert "profile's \"cross-origin login\" switch (F6)" in problem
