"""`pkce-tui har FILE`: the flows in a HAR, one chosen, rebuilt and checked.

The result carries the rebuilt `FlowState` (the live flow's shape), the list of flows found,
which one was chosen and why, the cross-step checks, and what the HAR cannot show.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from pkce_tui.core.checks import Check
from pkce_tui.core.errors import InputError
from pkce_tui.core.flow import FlowConfig, FlowState
from pkce_tui.core.har import classify
from pkce_tui.core.har.document import read_entries
from pkce_tui.core.har.flows import FlowEntries, split_flows
from pkce_tui.core.har.rebuild import rebuild
from pkce_tui.core.pkce import make_challenge
from pkce_tui.core.redaction import is_masked
from pkce_tui.core.session import replayable_config


@dataclass(frozen=True)
class FlowSummary:
    """One flow found in the HAR, as the list of flows shows it."""

    index: int
    started: str | None
    client_id: str
    authorize_endpoint: str
    outcome: str
    token_request: bool

    @property
    def complete(self) -> bool:
        return self.outcome != "no response"

    def to_json(self) -> dict:
        return {"index": self.index, "started": self.started, "client_id": self.client_id,
                "authorize_endpoint": self.authorize_endpoint, "outcome": self.outcome,
                "token_request": self.token_request}


@dataclass(frozen=True)
class HarFlow:
    """A flow rebuilt from a HAR: its state, the flows it was chosen from, and its gaps."""

    state: FlowState
    index: int
    flows: tuple[FlowSummary, ...]
    chosen: str
    missing: tuple[str, ...]
    checks: tuple[Check, ...]

    def to_json(self, *, reveal: bool = False, personal: bool = False) -> dict:
        """The `flow --json` document plus `source`, the flows found, `checks` and `missing`;
        secrets masked by the flow's own redactor unless `reveal`."""
        document = {**self.state.raw_json(), "source": "har", "flow_index": self.index,
                    "chosen": self.chosen, "flows": [f.to_json() for f in self.flows],
                    "checks": [c.to_json() for c in self.checks], "missing": list(self.missing)}
        return document if reveal else self.state.redactor(personal=personal).redact(document)


def load_flow(text: str, *, flow_index: int | None = None, jwks: dict | None = None) -> HarFlow:
    """Rebuild flow `flow_index` (0-based, time order) of the HAR `text`; by default the last
    one that got an authorization response back. `jwks` verifies token signatures when the
    HAR holds no JWKS. Malformed HAR text is an `InputError` naming what was wrong."""
    entries = read_entries(text)
    flows = split_flows(entries)
    if not flows:
        late = any(classify.grant_type(e) or classify.callback_params(e) for e in entries)
        hint = ("; the recording started after it (record again from before the login)"
                if late else "")
        raise InputError("the HAR file holds no authorization request (no URL with client_id "
                         f"and response_type or request_uri){hint}")
    summaries = tuple(_summary(i, flow) for i, flow in enumerate(flows))
    index, chosen = _choose(summaries, flow_index)
    state, missing = rebuild(flows[index], jwks=jwks)
    return HarFlow(state, index, summaries, chosen, tuple(missing), _checks(state))


def list_flows(text: str) -> tuple[FlowSummary, ...]:
    """Every flow in the HAR, in time order, without rebuilding any."""
    return tuple(_summary(i, flow) for i, flow in enumerate(split_flows(read_entries(text))))


def _choose(summaries: tuple[FlowSummary, ...], wanted: int | None) -> tuple[int, str]:
    count = len(summaries)
    if wanted is not None:
        if not 0 <= wanted < count:
            raise InputError(f"--flow {wanted}: the HAR holds {count} flow"
                             f"{'s' if count != 1 else ''} (0 to {count - 1})")
        return wanted, f"flow {wanted} of {count}, as asked (--flow {wanted})"
    complete = [s.index for s in summaries if s.complete]
    if count == 1:
        return 0, "the only flow in the HAR"
    if complete:
        return complete[-1], (f"flow {complete[-1]} of {count}: the last one that got an "
                              "answer; --flow N picks another")
    return count - 1, f"flow {count - 1} of {count}: the last one (none got an answer)"


def _summary(index: int, flow: FlowEntries) -> FlowSummary:
    first = flow.first
    started = (datetime.fromtimestamp(first.started, UTC).isoformat(timespec="milliseconds")
               .replace("+00:00", "Z")
               if first.started is not None else None)
    return FlowSummary(index, started, flow.params.get("client_id", ""),
                       flow.authorize_endpoint, _outcome(flow), bool(flow.tokens))


def _outcome(flow: FlowEntries) -> str:
    if not flow.authorize:  # a refused PAR (RFC 9126 §2.3): its error is the flow's answer
        answer = (flow.par.response.json() or {}) if flow.par.response else {}
        return f"error {answer['error']}" if isinstance(answer.get("error"), str) \
            else "no response"
    params = {**(classify.callback_params(flow.callback) if flow.callback else {}),
              **(classify.redirect_params(flow.response) if flow.response else {})}
    if params.get("error"):
        return f"error {params['error']}"
    if params.get("code") or flow.answered:
        return "code" if params.get("code") else "answered"
    return "no response"


def _checks(state: FlowState) -> tuple[Check, ...]:
    """The cross-step checks a HAR allows: PKCE, redirect_uri, state and iss round trips."""
    return (_pkce_check(state), _redirect_uri_check(state), *_redirect_checks(state))


def _pkce_check(state: FlowState) -> Check:
    """RFC 7636 §4.6: the challenge sent at authorize is the verifier's transform."""
    challenge, verifier = state.value("challenge"), state.config.verifier
    if challenge is None:
        return Check("pkce", None, "no code_challenge at authorize: PKCE not used")
    if verifier is None:
        return Check("pkce", None, "no code_verifier in the HAR: the token request is not in it")
    if is_masked(verifier):
        return Check("pkce", None, f"code_verifier masked in the HAR ({verifier}): it cannot be "
                     "checked against the code_challenge")
    derived = make_challenge(verifier, challenge.method if challenge.method in ("S256", "plain")
                             else "S256").code_challenge
    if derived == challenge.code_challenge:
        return Check("pkce", True, f"{challenge.method}(code_verifier) equals the code_challenge")
    return Check("pkce", False, f"{challenge.method}(code_verifier) is {derived}, not the "
                 f"code_challenge {challenge.code_challenge} (RFC 7636 §4.6)")


def _redirect_uri_check(state: FlowState) -> Check:
    """RFC 6749 §4.1.3: the token request repeats the authorize request's redirect_uri."""
    token = state.result("token")
    if token is None or token.request is None:
        return Check("redirect_uri", None, "no token request in the HAR to compare with")
    sent = dict(token.request.form or ()).get("redirect_uri")
    at_authorize = state.config.redirect_uri
    if sent == at_authorize:
        return Check("redirect_uri", True, "the token request repeats the authorize "
                     "request's redirect_uri")
    return Check("redirect_uri", False, f"token request redirect_uri {sent!r} differs from "
                 f"the authorize request's {at_authorize!r} (RFC 6749 §4.1.3)")


def _redirect_checks(state: FlowState) -> list[Check]:
    result = state.result("redirect")
    checks = result.data.get("checks", []) if result else []
    found = {c["name"]: Check(c["name"], c["ok"], c["detail"]) for c in checks}
    return [found.get(name) or Check(name, None, "no authorization response in the HAR")
            for name in ("state", "iss")]


def replay_config(state: FlowState) -> FlowConfig:
    """The rebuilt flow's configuration, ready to run again against the live tenant: the same
    client, redirect URI, scopes, PKCE method and extra parameters, with a fresh verifier,
    state and nonce (the HAR's are spent), and the endpoints the HAR showed when no issuer
    or dialect template can find them."""
    config, _ = replayable_config(state.config)  # a masked secret is typed again
    extra = tuple((k, v) for k, v in config.extra_params if k != "request_uri")  # RFC 9126: once
    fresh = replace(config, verifier=None, state=None, nonce=None, login="auto",
                    extra_params=extra)
    endpoints = state.value("discovery")
    if config.dialect != "generic" or config.issuer or endpoints is None:
        return fresh
    return replace(fresh, issuer=endpoints.issuer or None,
                   authorize_endpoint=endpoints.authorization_endpoint,
                   token_endpoint=endpoints.token_endpoint or None,
                   jwks_uri=endpoints.jwks_uri, userinfo_endpoint=endpoints.userinfo_endpoint)
