"""The tamper lab: guided attacks on the sandbox, each a real run through the core.

Each experiment builds a flow against one of the sandbox's clients, runs it with `FlowRunner`,
and tampers the way an attacker would (a token input overridden, a forged redirect, a sandbox
fault switch, a code sent twice). The outcome is read from the resulting `FlowState`, never
assumed: the step that decides (`decisive`) either failed (a rule protected the user) or
succeeded (nothing did). UI-free, so the TUI only presents it and tests run it headless.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

from pkce_tui.core import profiles
from pkce_tui.core.flow import FlowConfig, FlowState, new_flow, override_token, record
from pkce_tui.core.pkce import generate_verifier
from pkce_tui.core.runner import FlowRunner

Attack = Callable[["LabRun"], Awaitable[FlowState]]


@dataclass(frozen=True)
class Experiment:
    """One attack: what is tried, the step that decides, what should happen and which rule."""

    id: str
    title: str
    attack: str
    decisive: str
    should_fail: bool  # True: a rule should stop the attack; False: it shows a missing one
    rule: str
    profile: str
    run: Attack
    changes: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class LabOutcome:
    """What the server and the client did, and whether it matches the lesson."""

    experiment: Experiment
    state: FlowState
    blocked: bool
    detail: str

    @property
    def as_expected(self) -> bool:
        return self.blocked == self.experiment.should_fail

    @property
    def verdict(self) -> str:
        e = self.experiment
        if self.blocked:
            return f"attack refused at the {e.decisive} step: {self.detail}"
        return f"attack succeeded: the {e.decisive} step went through ({self.detail})"

    def to_json(self) -> dict:
        e = self.experiment
        return {"id": e.id, "title": e.title, "blocked": self.blocked,
                "as_expected": self.as_expected, "verdict": self.verdict, "rule": e.rule,
                "decisive_step": e.decisive}


@dataclass
class LabRun:
    """An experiment under way: the sandbox's base URL, the runner, the flow so far."""

    base_url: str
    runner: FlowRunner
    state: FlowState

    async def until(self, last: str) -> FlowState:
        """Run the flow's steps up to and including `last`."""
        while (step := self.state.next_step()) is not None:
            self.state = await self.runner.run_step(self.state, step)
            if step == last:
                break
        return self.state

    async def rest(self) -> FlowState:
        self.state = await self.runner.run_all(self.state)
        return self.state


def lab_config(base_url: str, profile: str, **changes: object) -> FlowConfig:
    """The config of a built-in sandbox profile, with the experiment's changes."""
    found = profiles.builtin_profiles()[profile]
    return replace(FlowConfig(**found.config_fields(base_url.rstrip("/"))), **changes)


# -- the attacks --------------------------------------------------------------------------

async def _stolen_code(run: LabRun) -> FlowState:
    """The attacker holds the victim's code and redeems it with a verifier of their own."""
    await run.until("redirect")
    run.state = override_token(run.state, code_verifier=generate_verifier())
    return await run.rest()


async def _just_redeem(run: LabRun) -> FlowState:
    """The attacker redeems the intercepted code as the client would: nothing else needed."""
    return await run.rest()


async def _plain_downgrade(run: LabRun) -> FlowState:
    """With plain, the challenge in the authorize URL is the verifier: read it, redeem."""
    await run.until("redirect")
    sent = run.state.value("authorize")
    run.state = override_token(run.state, code_verifier=sent.code_challenge)
    return await run.rest()


async def _replay_code(run: LabRun) -> FlowState:
    """Redeem the code, then send it again; then try the first access token (revoked?)."""
    await run.until("token")
    first = run.state
    run.state = await run.runner.replay_from(run.state, "token")
    if first.value("token") is not None:  # is the first token still good? (userinfo)
        userinfo = await run.runner.result_of(first, "userinfo")
        run.state = record(run.state, "userinfo", userinfo)
    return run.state


async def _swap_redirect_uri(run: LabRun) -> FlowState:
    await run.until("redirect")
    other = ("https://app.example.test/callback"
             if run.state.config.redirect_uri != "https://app.example.test/callback"
             else "http://127.0.0.1:8765/callback")
    run.state = override_token(run.state, redirect_uri=other)
    return await run.rest()


async def _replayed_id_token(run: LabRun) -> FlowState:
    """An ID token from an earlier login arrives in a new login, whose nonce differs."""
    earlier = LabRun(run.base_url, run.runner, new_flow(run.state.config))
    await earlier.until("token")
    await run.until("redirect")
    run.state = record(run.state, "token", earlier.state.result("token"))
    return await run.rest()


def _forged_redirect(params: Callable[[dict, str], dict]) -> Callable[[str, str], Awaitable[str]]:
    """A redirect source that answers the authorize URL with the attacker's callback URL."""
    async def source(authorize_url: str, base_url: str) -> str:
        sent = dict(parse_qsl(urlsplit(authorize_url).query))
        return f"{sent['redirect_uri']}?{urlencode(params(sent, base_url))}"
    return source


FORGED_STATE = _forged_redirect(lambda sent, base: {"code": "attackers-own-code",
                                                    "state": "attackers-state"})
MIXED_UP_ISSUER = _forged_redirect(lambda sent, base: {
    "code": "code-from-another-server", "state": sent.get("state", ""),
    "iss": f"{base.rstrip('/')}/cyberark/demo-app/"})


def _with_redirect(source: Callable[[str, str], Awaitable[str]]) -> Attack:
    async def attack(run: LabRun) -> FlowState:
        async def redirect_source(url: str) -> str:
            return await source(url, run.base_url)
        run.runner.redirect_source = redirect_source
        return await run.until("redirect")
    return attack


EXPERIMENTS: tuple[Experiment, ...] = (
    Experiment("stolen-code", "Intercepted code, no verifier",
               "another app on the device catches the redirect and redeems the code with a "
               "verifier of its own", "token", True,
               "PKCE: the server hashes the code_verifier and compares it with the challenge "
               "it kept; only the app that made the challenge knows it (RFC 7636 §1, §4.6)",
               "sandbox-cyberark-public", _stolen_code),
    Experiment("stolen-code-no-pkce", "Intercepted code, client without PKCE",
               "the same interception against a client that sends no code_challenge; its secret "
               "ships inside the app, so the attacker has it too", "token", False,
               "nothing binds the code to the app that asked for it: without PKCE a caught code "
               "is as good as tokens (RFC 7636 §1; a native app keeps no secret, RFC 8252 §8.5)",
               "sandbox-cyberark-confidential", _just_redeem, (("method", "none"),)),
    Experiment("plain-downgrade", "Downgrade to plain",
               "the client uses code_challenge_method=plain; the attacker who read the authorize "
               "URL sends its code_challenge as the verifier", "token", False,
               "with plain the challenge is the verifier itself: anyone who sees the request "
               "can redeem the code; use S256 (RFC 7636 §4.2, §7.2)",
               "sandbox-cyberark-public", _plain_downgrade, (("method", "plain"),)),
    Experiment("plain-refused", "Downgrade refused by policy",
               "the same plain request to a server whose client policy is S256_REQUIRED "
               "(PingOne)", "redirect", True,
               "the server refuses any method but S256 for this client, so a downgrade never "
               "gets a code (RFC 7636 §4.4.1, §7.2; PingOne pkceEnforcement S256_REQUIRED)",
               "sandbox-pingone-public", _just_redeem, (("method", "plain"),)),
    Experiment("code-replay", "Replaying a spent code",
               "the code is redeemed, then sent again (as a thief who caught it late would)",
               "token", True,
               "a code is used once; a second use is refused and the tokens issued from it "
               "are revoked (RFC 6749 §4.1.2, §10.5)",
               "sandbox-cyberark-public", _replay_code),
    Experiment("forged-state", "Forged redirect (CSRF)",
               "an attacker's page sends the browser to the callback with the attacker's own "
               "code and a state this client never made", "redirect", True,
               "the client compares state with the one it sent and drops the response, so the "
               "victim is not logged in as the attacker (RFC 6749 §10.12)",
               "sandbox-generic-public", _with_redirect(FORGED_STATE), (("login", "browser"),)),
    Experiment("mix-up", "Mix-up: another issuer's response",
               "the redirect carries iss of another authorization server the client also uses",
               "redirect", True,
               "the client checks iss against the issuer it sent the user to, so it never sends "
               "a code to the wrong token endpoint (RFC 9207 §2.4)",
               "sandbox-generic-public", _with_redirect(MIXED_UP_ISSUER), (("login", "browser"),)),
    Experiment("redirect-uri-swap", "redirect_uri swapped at the token step",
               "the token request names another registered redirect_uri than the authorize "
               "request did", "token", True,
               "the server requires the token request's redirect_uri to equal the authorize "
               "request's (RFC 6749 §4.1.3, §10.6)",
               "sandbox-cyberark-public", _swap_redirect_uri),
    Experiment("id-token-replay", "ID token replayed into another login",
               "an ID token from an earlier login is presented in a new one, whose nonce differs",
               "id_token", True,
               "the client compares the ID token's nonce with the one it sent in this login "
               "(OIDC Core §3.1.3.7 (11), §15.5.2)",
               "sandbox-cyberark-public", _replayed_id_token),
    Experiment("id-token-expired", "Expired ID token",
               "the server (sandbox fault expired_id_token) issues an ID token whose exp has "
               "passed", "id_token", True,
               "the client refuses an ID token past exp, allowing a small leeway "
               "(OIDC Core §3.1.3.7 (9); RFC 7519 §4.1.4)",
               "sandbox-cyberark-public", _just_redeem,
               (("extra_params", (("sandbox_fault", "expired_id_token"),)),)),
    Experiment("id-token-audience", "ID token for another audience",
               "the ID token (sandbox fault wrong_aud) was issued to another client",
               "id_token", True,
               "the client refuses an ID token whose aud does not contain its client_id "
               "(OIDC Core §3.1.3.7 (3))",
               "sandbox-cyberark-public", _just_redeem,
               (("extra_params", (("sandbox_fault", "wrong_aud"),)),)),
)


def experiment(experiment_id: str) -> Experiment:
    found = {e.id: e for e in EXPERIMENTS}
    if experiment_id not in found:
        from pkce_tui.core.errors import InputError

        raise InputError(f"unknown experiment {experiment_id!r}; known: {', '.join(found)}")
    return found[experiment_id]


async def run_experiment(chosen: Experiment, *, client: httpx.AsyncClient, base_url: str,
                         clock: Callable[[], float] = time.time) -> LabOutcome:
    """Run `chosen` against the sandbox at `base_url` and read what happened from the flow."""
    config = lab_config(base_url, chosen.profile, **dict(chosen.changes))
    run = LabRun(base_url, FlowRunner(client, clock=clock), new_flow(config))
    state = await chosen.run(run)
    return evaluate(chosen, state)


def evaluate(chosen: Experiment, state: FlowState) -> LabOutcome:
    """Blocked when the decisive step failed; the detail is the server's or client's words."""
    result = state.result(chosen.decisive)
    if result is None:
        return LabOutcome(chosen, state, True, f"the {chosen.decisive} step never ran")
    blocked = result.status == "error"
    failed = [c for c in result.data.get("checks", []) if c.get("ok") is False]
    if blocked and failed and chosen.decisive in ("id_token", "access_token"):
        detail = "; ".join(f"{c['name']}: {c['detail']}" for c in failed)
    else:
        detail = result.error or result.summary
    if chosen.id == "code-replay":
        detail += _revocation(state)
    return LabOutcome(chosen, state, blocked, detail)


def _revocation(state: FlowState) -> str:
    """Whether the first access token still works after the replay (userinfo with it)."""
    userinfo = state.result("userinfo")
    if userinfo is None:
        return ""
    if userinfo.status == "error":
        return "; the first access token no longer works (revoked)"
    return "; the first access token still works: not revoked"
