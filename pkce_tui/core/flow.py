"""The flow model: ordered steps, their inputs and outputs, stale marking and replay.

A `FlowState` is an immutable value. Editing an input (`edit`, `override_token`) returns a new
state in which the first step that reads that input, and every step after it, is stale.
`runner.FlowRunner` runs steps against real servers and returns new states; this module holds
no I/O, so front ends load it without an HTTP or JOSE library.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

from pkce_tui.core.redaction import Redactor
from pkce_tui.core.step_result import StepResult

if TYPE_CHECKING:
    from pkce_tui.core.diagnose import Diagnosis

INSECURE_WARNING = "TLS certificate verification is off (--insecure)"

STEPS = (
    "discovery", "verifier", "challenge", "par", "authorize", "login", "redirect",
    "token", "id_token", "access_token", "userinfo", "refresh",
    "introspection", "revocation", "logout",
)
#: Steps a flow runs only when asked for, each with the configuration switch that asks.
OPTIONAL_STEPS = {"par": "par", "introspection": "introspect", "revocation": "revoke",
                  "logout": "logout"}

#: Which step first reads each configuration field; editing the field stales it and later ones.
_FIELD_STEP = {
    "verifier": "verifier",
    "method": "challenge",
    "client_id": "authorize", "redirect_uri": "authorize", "scope": "authorize",
    "state": "authorize", "nonce": "authorize", "extra_params": "authorize",
    "login": "login", "username": "login", "password": "login",
    "allow_cross_origin_login": "login",
    "client_secret": "token", "auth_method": "token", "token_params": "token",
    "client_key": "token", "client_key_kid": "token", "dpop": "token",
    "leeway": "id_token",
    "par": "par",
    "introspect": "introspection", "revoke": "revocation",
    "logout": "logout", "post_logout_redirect_uri": "logout",
}


def flow_steps(config: ClientSettings) -> tuple[str, ...]:
    """The steps this configuration runs, in order: the optional ones only when switched on."""
    return tuple(s for s in STEPS if s not in OPTIONAL_STEPS or getattr(config, OPTIONAL_STEPS[s]))


@dataclass(frozen=True)
class ClientSettings:
    """The target and the client: what a saved profile holds (`core/profiles.py`)."""

    dialect: str = "generic"
    issuer: str | None = None
    tenant_url: str | None = None
    app_id: str | None = None
    base_url: str | None = None
    env_id: str | None = None
    tenant: str | None = None
    workspace: str | None = None
    client_id: str = ""
    client_secret: str | None = None
    auth_method: str = "none"
    redirect_uri: str = "http://127.0.0.1:8765/callback"
    scope: str = "openid profile"
    method: str = "S256"
    extra_params: tuple[tuple[str, str], ...] = ()
    login: str = "auto"
    username: str | None = None
    password: str | None = None
    client_key: str | None = None
    client_key_kid: str | None = None
    par: bool = False
    dpop: bool = False
    introspect: bool = False
    revoke: bool = False
    logout: bool = False
    post_logout_redirect_uri: str | None = None
    #: post a login form's password to another origin, or over http to a non-loopback host
    allow_cross_origin_login: bool = False


@dataclass(frozen=True)
class FlowConfig(ClientSettings):
    """Everything a flow needs before it starts: the client settings plus this run's choices."""

    authorize_endpoint: str | None = None
    token_endpoint: str | None = None
    jwks_uri: str | None = None
    userinfo_endpoint: str | None = None
    verifier: str | None = None
    state: str | None = None
    nonce: str | None = None
    token_params: tuple[tuple[str, str], ...] = ()
    timeout: float = 10.0
    insecure: bool = False
    leeway: int = 60


@dataclass(frozen=True)
class TokenOverrides:
    """The token step's inputs, set on their own to send a wrong value on purpose."""

    code: str | None = None
    code_verifier: str | None = None
    redirect_uri: str | None = None
    auth_method: str | None = None
    client_secret: str | None = None

    def active(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


@dataclass(frozen=True)
class FlowState:
    """One flow at one moment: its configuration, the results so far, and what went stale."""

    config: FlowConfig
    results: dict[str, StepResult] = field(default_factory=dict)
    stale: frozenset[str] = frozenset()
    overrides: TokenOverrides = TokenOverrides()
    diagnosis: tuple[Diagnosis, ...] = ()
    token_attempts: tuple[StepResult, ...] = ()

    def result(self, step: str) -> StepResult | None:
        return self.results.get(step)

    def value(self, step: str) -> Any:
        """The typed output of `step` when it ran and succeeded, else None."""
        result = self.results.get(step)
        return result.value if result and result.status in ("ok", "warning") else None

    def status(self, step: str) -> str:
        if step in self.stale:
            return "stale"
        result = self.results.get(step)
        return result.status if result else "pending"

    @property
    def steps(self) -> tuple[str, ...]:
        """The steps this flow runs (DESIGN.md §3: optional ones only when asked for)."""
        return flow_steps(self.config)

    def next_step(self) -> str | None:
        return next((s for s in self.steps if s not in self.results or s in self.stale), None)

    @property
    def done(self) -> bool:
        return self.next_step() is None

    @property
    def ok(self) -> bool:
        return self.done and all(self.results[s].status != "error" for s in self.steps)

    def to_json(self, *, reveal: bool = False, personal: bool = False) -> dict:
        """The `pkce-tui flow --json` document (DESIGN.md §3), secrets masked unless `reveal`;
        `personal` also masks personal claims (exports)."""
        return self.redactor(personal=personal).redact(self.raw_json()) if not reveal \
            else self.raw_json()

    def raw_json(self) -> dict:
        """The `flow --json` document with nothing masked."""
        document = {
            "ok": self.ok,
            "steps": [self.results[s].to_json() for s in self.steps if s in self.results],
            "diagnosis": [d.to_json() for d in self.diagnosis],
        }
        if self.config.insecure:
            document["warnings"] = [INSECURE_WARNING]
        return document

    def secrets(self) -> frozenset[str]:
        """The secret values this flow holds: the client's, the user's, and every code,
        verifier and token it sent or received (the requests and responses show the rest)."""
        c, o = self.config, self.overrides
        found = {c.client_secret, c.password, c.verifier, o.code, o.code_verifier,
                 o.client_secret}
        for result in (*self.results.values(), *self.token_attempts):
            found.update(_secret_values(result))
        return frozenset(value for value in found if isinstance(value, str) and value)

    def redactor(self, *, personal: bool = False) -> Redactor:
        """A `Redactor` that knows every secret of this flow, for its outputs (JSON, curl,
        copies); `personal` adds the user's name and claims (exports)."""
        known = set(self.secrets())
        if personal and self.config.username:
            known.add(self.config.username)
        redactor = Redactor(known, personal=personal)
        redactor.learn(self.raw_json())
        return redactor


#: Steps a learner studies with their secret in view: the verifier pane shows its verifier,
#: the challenge pane the verifier's bytes (DESIGN.md §4).
SHOWN_SECRET_STEPS = frozenset({"verifier", "challenge"})


def masked_view(state: FlowState) -> FlowState:
    """The flow as a screen shows it until F2: results' summaries, errors and fields and the
    diagnosis masked by the flow's redactor; requests and responses are left to their views
    (which mask them), the verifier and challenge steps as they are."""
    redactor = state.redactor()
    results = {step: result if step in SHOWN_SECRET_STEPS else replace(
                   result, summary=redactor.text(result.summary),
                   error=redactor.text(result.error) if result.error else result.error,
                   data=redactor.redact(result.data))
               for step, result in state.results.items()}
    diagnosis = tuple(replace(d, summary=redactor.text(d.summary), fix=redactor.text(d.fix))
                      for d in state.diagnosis)
    return replace(state, results=results, diagnosis=diagnosis)


def _secret_values(result: StepResult) -> list:
    """The code, verifier or tokens a step's typed value carries."""
    value = result.value
    if result.name == "verifier":
        return [value]
    tokens = getattr(value, "tokens", None)
    if isinstance(tokens, dict):
        return [tokens.get(name) for name in ("access_token", "id_token", "refresh_token")]
    return [getattr(value, "code", None)]


def new_flow(config: FlowConfig) -> FlowState:
    return FlowState(config=config)


def first_affected_step(field_name: str) -> str:
    """The first step that reads configuration field `field_name`."""
    return _FIELD_STEP.get(field_name, "discovery")


def steps_from(step: str) -> tuple[str, ...]:
    return STEPS[STEPS.index(step):]


def mark_stale(state: FlowState, step: str) -> FlowState:
    """`step` and every later step that has a result become stale."""
    later = {s for s in steps_from(step) if s in state.results}
    return replace(state, stale=state.stale | later)


def edit(state: FlowState, **config_changes: Any) -> FlowState:
    """Change configuration fields; the earliest step reading them and all later go stale."""
    if not config_changes:
        return state
    earliest = min((first_affected_step(name) for name in config_changes), key=STEPS.index)
    edited = replace(state, config=replace(state.config, **config_changes))
    if earliest == "authorize" and edited.config.par:
        earliest = "par"  # with PAR, the request's parameters are first read by the push
    return _rechecked(mark_stale(edited, earliest), set(config_changes))


def _rechecked(state: FlowState, edited: set[str]) -> FlowState:
    """The discovery step's pre-flight checks judged again after `edited` (a fresh discovery
    result only: a stale one is re-run anyway), with the diagnosis they gave replaced."""
    from pkce_tui.core import preflight_edit

    result = state.results.get("discovery")
    if result is None or "discovery" in state.stale or not edited & preflight_edit.READ_BY_CHECKS:
        return state
    from pkce_tui.core.diagnosis.discovery import discovery_rules, probe_findings

    before = {*discovery_rules(state), *probe_findings(state)}
    fresh = preflight_edit.rechecked(result, state.config, edited)
    state = replace(state, results={**state.results, "discovery": fresh})
    kept = tuple(d for d in state.diagnosis if d not in before)
    return replace(state, diagnosis=(*discovery_rules(state), *kept))


def override_token(state: FlowState, **overrides: str | None) -> FlowState:
    """Set the token step's own inputs (RFC 6749 §4.1.3); the token step and later go stale."""
    edited = replace(state, overrides=replace(state.overrides, **overrides))
    return mark_stale(edited, "token")


def record(state: FlowState, step: str, result: StepResult, *,
           ran_on: FlowState | None = None) -> FlowState:
    """`state` with `step`'s new result: every later result goes stale, the diagnosis follows.

    `ran_on` is the state the step ran on. When the user edited one of the step's inputs
    while it ran, the result is kept but stays stale: it answers a question no longer asked.
    """
    state = mark_stale(state, step)
    if step == "discovery" and ran_on is not None:  # its checks judge the configuration now
        result = _rechecked_discovery(result, ran_on.config, state.config)
    inputs_edited = ran_on is not None and _inputs(ran_on, step) != _inputs(state, step)
    stale = state.stale | {step} if inputs_edited else state.stale - {step}
    attempts = state.token_attempts + ((result,) if step == "token" else ())
    state = replace(state, results={**state.results, step: result}, stale=stale,
                    token_attempts=attempts)
    from pkce_tui.core.diagnose import diagnose  # the rules load with the first result

    return replace(state, diagnosis=diagnose(state))


def _rechecked_discovery(result: StepResult, before: FlowConfig, now: FlowConfig) -> StepResult:
    """A discovery result made on `before`, its checks judged against `now`."""
    edited = {f.name for f in fields(now) if getattr(before, f.name) != getattr(now, f.name)}
    if not edited:
        return result
    from pkce_tui.core import preflight_edit

    return preflight_edit.rechecked(result, now, edited)


def _inputs(state: FlowState, step: str) -> tuple:
    """What `step` reads from the user: the configuration up to it, the token overrides."""
    read = STEPS[:STEPS.index(step) + 1]
    config = tuple(getattr(state.config, f.name) for f in fields(state.config)
                   if first_affected_step(f.name) in read)
    return config, state.overrides if "token" in read else None
