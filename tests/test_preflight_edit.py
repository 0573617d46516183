"""An edit after the discovery step re-judges its pre-flight checks: the metadata checks
against the document already read, the authorize probe withdrawn until discovery runs again,
so a cause the user has just corrected is no longer named."""

from __future__ import annotations

from dataclasses import replace

from test_tui_flow import make_app, sandbox_config, settle, text_of

from pkce_tui.core.flow import edit, new_flow, record

UNKNOWN = "nobody"


def ids(state) -> list[str]:
    return [d.id for d in state.diagnosis]


def check(state, name: str) -> dict:
    return next(c for c in state.result("discovery").data["checks"] if c["name"] == name)


async def discovered(runner, sandbox, **changes):
    state = new_flow(sandbox_config(sandbox, "sandbox-generic-public", **changes))
    return await runner.run_step(state, "discovery")


async def test_a_corrected_client_id_withdraws_the_probes_unknown_client(runner, sandbox):
    state = await discovered(runner, sandbox, client_id=UNKNOWN)
    assert ids(state) == ["unknown_client"] and check(state, "authorize")["ok"] is False
    known = sandbox_config(sandbox, "sandbox-generic-public").client_id
    edited = edit(state, client_id=known)
    assert ids(edited) == []
    assert edited.status("discovery") == "ok" and "probe failed" not in \
        edited.result("discovery").summary
    probe = check(edited, "authorize")
    assert probe["ok"] is None and "since client_id changed" in probe["detail"]
    assert edited.result("discovery").data["preflight_diagnosis"] == []
    assert (await runner.run_all(edited)).ok  # the flow goes on from authorize, and succeeds


async def test_an_edited_scope_is_checked_again_against_the_published_metadata(runner, sandbox):
    state = await discovered(runner, sandbox, scope="openid admin")
    assert check(state, "scopes")["ok"] is False
    assert ids(state) == ["scope_not_allowed"]
    edited = edit(state, scope="openid profile")
    assert check(edited, "scopes")["ok"] is True
    assert ids(edited) == [] and edited.status("discovery") == "ok"
    wrong_again = edit(edited, scope="openid other")
    assert check(wrong_again, "scopes")["ok"] is False
    assert wrong_again.status("discovery") == "warning"
    assert "disagrees on scopes" in wrong_again.result("discovery").summary


async def test_fields_the_checks_do_not_read_leave_discovery_as_it_was(runner, sandbox):
    state = await discovered(runner, sandbox, client_id=UNKNOWN)
    for change in ({"client_secret": "other"}, {"username": "bob"}, {"verifier": "x" * 43}):
        edited = edit(state, **change)
        assert edited.result("discovery") is state.result("discovery"), change
        assert ids(edited) == ["unknown_client"]


async def test_a_field_edited_while_discovery_ran_is_judged_on_its_result(runner, sandbox):
    ran_on = new_flow(sandbox_config(sandbox, "sandbox-generic-public", scope="openid admin"))
    result = await runner.result_of(ran_on, "discovery")
    now = replace(ran_on, config=replace(ran_on.config, scope="openid profile"))
    state = record(now, "discovery", result, ran_on=ran_on)
    assert check(state, "scopes")["ok"] is True
    assert "since scope changed" in check(state, "authorize")["detail"]
    assert ids(state) == [] and state.status("discovery") == "ok"  # judged: not stale


async def test_the_tui_stops_naming_a_client_id_once_it_is_corrected(sandbox):
    app = make_app(sandbox, "sandbox-generic-public", client_id=UNKNOWN)
    known = sandbox_config(sandbox, "sandbox-generic-public").client_id
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f10")
        await settle(pilot)
        assert "the server does not know the client 'nobody'" in text_of(app, "discovery")
        app.query_one("#param-edit").focus()
        await pilot.press(*f"client_id={known}", "enter")
        await settle(pilot)
        assert app.flow.config.client_id == known
        shown = " ".join(text_of(app, "discovery").split())
        assert "does not know the client" not in shown and "not probed again" in shown
        assert not app.flow.diagnosis
        await pilot.press("f5")
        await settle(pilot)
        assert app.flow.ok, [(r.name, r.summary) for r in app.flow.results.values()]
