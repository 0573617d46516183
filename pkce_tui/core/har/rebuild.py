"""A HAR's flow rebuilt as the same `FlowState` a live run produces, step by step.

Each step's result is made from the recorded entries with the live flow's own parsers and
result builders (`core.steps`), so the JSON, the diagnosis and the TUI panes read it unchanged.
What the HAR cannot show is said in `missing`, never guessed. Times are the entries' own: a
HAR from last week is judged as of the moment it was recorded, not now.
"""

from __future__ import annotations

import base64
import binascii
import time
from dataclasses import asdict, dataclass, field, replace
from urllib.parse import unquote_plus, urlencode

from pkce_tui.core import jwt, providers
from pkce_tui.core.authorize import NAMED_PARAMS, AuthorizeRequest, leaked_secrets
from pkce_tui.core.diagnose import diagnose
from pkce_tui.core.errors import PkceTuiError
from pkce_tui.core.flow import FlowConfig, FlowState
from pkce_tui.core.har import classify, followups, login_hops, settings
from pkce_tui.core.har.document import HarEntry
from pkce_tui.core.har.flows import FlowEntries
from pkce_tui.core.http import Exchange, HttpResponse
from pkce_tui.core.par import PushedAuthorizeRequest, parse_par_response
from pkce_tui.core.pkce import Challenge, make_challenge, verifier_entropy_bits
from pkce_tui.core.providers import Endpoints
from pkce_tui.core.redaction import is_masked
from pkce_tui.core.server_says import from_response
from pkce_tui.core.step_result import StepResult
from pkce_tui.core.steps import (
    NO_TOKENS,
    redirect_result,
    report_result,
    token_exchange_result,
)

NOT_IN_HAR = "not in the HAR"
#: Said of a value a sanitized HAR or a masked export holds only as `••••••(43·a1b2c3)`.
MASKED_IN_HAR = "masked in the HAR"


@dataclass
class Rebuild:
    """The flow being rebuilt: its entries, the results so far, and what the HAR lacks."""

    flow: FlowEntries
    jwks: dict | None = None
    results: dict[str, StepResult] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    config: FlowConfig = field(default_factory=FlowConfig)
    #: the endpoints later steps read when the discovery document was refused
    standin: StepResult | None = None

    def state(self, **extra) -> FlowState:
        """The flow so far, as later steps read it (a refused discovery stood in for)."""
        results = {**self.results, **({"discovery": self.standin} if self.standin else {})}
        return FlowState(config=self.config, results=results, **extra)

    def final_state(self, **extra) -> FlowState:
        return FlowState(config=self.config, results=dict(self.results), **extra)

    def add(self, result: StepResult, at: float | None = None) -> None:
        self.results[result.name] = result if at is None else _at(result, at)

    def value(self, step: str):
        return self.state().value(step)

    def lacks(self, text: str) -> None:
        if text not in self.missing:
            self.missing.append(text)


def rebuild(flow: FlowEntries, *, jwks: dict | None = None) -> tuple[FlowState, list[str]]:
    """The flow's state, every step recorded (a step the HAR does not show is skipped and
    named in the returned `missing` list), and its diagnosis."""
    work = Rebuild(flow, jwks)
    work.config = _config(flow)
    for step in (_discovery, _verifier, _challenge, _par, _authorize, _login, _redirect):
        step(work)
    attempts = _token(work)
    for step in (_id_token, _access_token, _userinfo, _refresh, followups.introspection,
                 followups.revocation, followups.logout):
        step(work)
    _masked_secret(work)
    _cookies(work)
    state = work.final_state(token_attempts=attempts)
    return FlowState(config=state.config, results=state.results,
                     token_attempts=attempts, diagnosis=diagnose(state)), work.missing


# --- configuration ------------------------------------------------------------------------


def _config(flow: FlowEntries) -> FlowConfig:
    """What the client was configured with, as its requests show it: the optional steps
    (PAR, introspection, revocation, logout) switched on when the HAR holds them."""
    params = _authorize_params(flow)
    token_form = dict(flow.tokens[0].request.form or ()) if flow.tokens else {}
    authenticated = _authenticated(flow)
    method, secret = _client_auth(authenticated[0]) if authenticated else ("none", None)
    tenant = settings.tenant_settings(flow.authorize_endpoint)
    extra = tuple((k, v) for k, v in params.items() if k not in NAMED_PARAMS)
    return FlowConfig(
        **tenant, issuer=settings.discovered_issuer(flow), client_id=params.get("client_id", ""),
        client_secret=secret, auth_method=method,
        redirect_uri=params.get("redirect_uri", ""), scope=params.get("scope", ""),
        method=params.get("code_challenge_method", "plain") if "code_challenge" in params
        else "none", extra_params=extra, login="browser",
        verifier=token_form.get("code_verifier"), state=params.get("state"),
        nonce=params.get("nonce"), par=flow.par is not None or "request_uri" in flow.params,
        introspect=followups.introspection_entry(flow) is not None,
        revoke=bool(flow.revocations), logout=bool(flow.logouts),
        post_logout_redirect_uri=followups.logout_sent(flow).get("post_logout_redirect_uri"))


def _authenticated(flow: FlowEntries) -> list[HarEntry]:
    """The requests that authenticate the client (RFC 6749 §2.3), the token request first."""
    return [*flow.tokens, *flow.refreshes, *([flow.par] if flow.par else []),
            *flow.introspections, *flow.revocations]


def _authorize_params(flow: FlowEntries) -> dict[str, str]:
    """The authorize parameters; behind a PAR request_uri, those the PAR request pushed."""
    if flow.par is not None:
        return {**dict(flow.par.request.form or ()), **flow.params}
    return dict(flow.params)


def _client_auth(entry: HarEntry) -> tuple[str, str | None]:
    """How a request authenticated the client (RFC 6749 §2.3.1), and its secret: for HTTP
    Basic credentials masked whole in the HAR, the masked credentials (the secret is in them,
    not to be read back)."""
    form = dict(entry.request.form or ())
    scheme, _, credentials = (entry.request.header("Authorization") or "").partition(" ")
    if scheme.lower() == "basic":
        return "client_secret_basic", _basic_secret(credentials)
    if form.get("client_secret"):
        return "client_secret_post", form["client_secret"]
    return "none", None


def _basic_secret(credentials: str) -> str | None:
    if is_masked(credentials.strip()):
        return credentials.strip()
    try:
        pair = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    return unquote_plus(pair.partition(":")[2]) or None


# --- steps --------------------------------------------------------------------------------


def _discovery(work: Rebuild) -> None:
    flow, config = work.flow, work.config
    entry = flow.discovery
    if entry is not None and config.issuer:
        work.add(_discovered(entry, config), entry.started)
        if work.results["discovery"].status == "ok":
            return
    else:
        work.lacks("discovery: the HAR has no discovery request; the endpoints are inferred "
                   "from the URLs the browser visited")
    iss = _returned_iss(flow)
    tenant = {k: getattr(config, k) for k in ("dialect", "tenant_url", "app_id", "base_url",
                                              "env_id", "tenant", "workspace")}
    endpoints = settings.inferred_endpoints(flow, {k: v for k, v in tenant.items() if v}, iss)
    inferred = StepResult("discovery", "ok", f"{endpoints.dialect} endpoints inferred from the "
                          "HAR's URLs (no discovery request recorded)", endpoints.to_json(),
                          value=endpoints)
    if "discovery" in work.results:  # refused: later steps read the inferred endpoints
        work.standin = inferred
    else:
        work.add(inferred)


def _discovered(entry: HarEntry, config: FlowConfig) -> StepResult:
    request = entry.request
    try:
        endpoints = providers.parse_discovery(config.issuer or "", entry.response,
                                              config.dialect)
    except PkceTuiError as exc:
        return StepResult("discovery", "error", str(exc), request=request,
                          response=entry.response, error=str(exc),
                          server_says=from_response(entry.response))
    return StepResult("discovery", "ok", f"discovered {endpoints.issuer}", endpoints.to_json(),
                      request=request, response=entry.response, value=endpoints)


def _returned_iss(flow: FlowEntries) -> str | None:
    for entry in (flow.response, flow.callback):
        if entry is not None:
            params = classify.redirect_params(entry) or classify.callback_params(entry)
            if params.get("iss"):
                return params["iss"]
    return None


def _verifier(work: Rebuild) -> None:
    value = work.config.verifier
    if value is None:
        why = ("no token request in the HAR" if not work.flow.tokens
               else "the token request carries no code_verifier")
        if "code_challenge" in work.flow.params and work.flow.code:
            work.lacks("code_verifier: it travels only in the token request, which the HAR "
                       "does not show; S256(verifier) cannot be compared with the challenge")
        work.add(StepResult("verifier", "skipped", f"code_verifier {NOT_IN_HAR}: {why}"))
        return
    if is_masked(value):
        work.lacks(f"code_verifier: {MASKED_IN_HAR} (sanitized or exported masked); "
                   "S256(verifier) cannot be compared with the challenge")
        work.add(StepResult("verifier", "skipped", f"code_verifier {MASKED_IN_HAR}: {value} "
                            "cannot be checked against the challenge",
                            {"code_verifier": value, "masked": True, "from": "token request"}))
        return
    problems = make_challenge(value).problems
    data = {"code_verifier": value, "valid": not problems, "problems": list(problems),
            "entropy_bits": verifier_entropy_bits(value), "from": "token request"}
    status = "warning" if problems else "ok"
    summary = ("malformed verifier: " + "; ".join(problems)) if problems else \
        f"{len(value)} characters, sent in the token request"
    work.add(StepResult("verifier", status, summary, data, value=value))


def _challenge(work: Rebuild) -> None:
    params = _authorize_params(work.flow)
    sent = params.get("code_challenge")
    if sent is None:
        work.add(StepResult("challenge", "skipped", "no code_challenge in the authorize request: "
                            "PKCE not used"))
        return
    method = params.get("code_challenge_method", "plain")  # RFC 7636 §4.3 default
    verifier = _unmasked(work.config.verifier)
    derived = make_challenge(verifier, method if method in ("S256", "plain") else "S256") \
        if verifier is not None else None
    value = Challenge(verifier or "", method, sent, derived.verifier_bytes_hex if derived else "",
                      derived.sha256_hex if derived else None, ())
    data = {**value.to_json(), "matches_verifier": None if derived is None
            else derived.code_challenge == sent}
    if derived is not None and derived.code_challenge != sent:
        work.add(StepResult("challenge", "warning", f"{method}(verifier sent at token) is "
                            f"{derived.code_challenge}, not the {sent} sent at authorize",
                            data, value=value))
        return
    note = ", matches the verifier" if derived else \
        f", verifier {MASKED_IN_HAR}" if work.config.verifier else ""
    work.add(StepResult("challenge", "ok", f"{method} {sent}{note}", data, value=value))


def _authorize_request(work: Rebuild) -> AuthorizeRequest:
    """The authorization request the browser made (its pushed parameters, with PAR)."""
    flow, config = work.flow, work.config
    params = _authorize_params(flow)
    return AuthorizeRequest(
        endpoint=flow.authorize_endpoint, client_id=config.client_id,
        redirect_uri=config.redirect_uri, scope=config.scope, state=config.state,
        nonce=config.nonce, code_challenge=params.get("code_challenge"),
        code_challenge_method=params.get("code_challenge_method"),
        response_type=params.get("response_type", "code"),
        extra=tuple((k, v) for k, v in config.extra_params if k != "request_uri"))


def _par(work: Rebuild) -> None:
    """The pushed authorization request (RFC 9126 §2), when the flow used one."""
    if not work.config.par:
        return
    entry = work.flow.par
    if entry is None:
        work.add(StepResult("par", "skipped", f"pushed authorization request {NOT_IN_HAR}: a "
                            "back end sent it"))
        return
    form = dict(entry.request.form or ())
    data = {"params": form, "state": form.get("state"), "nonce": form.get("nonce"),
            **followups.assertion(entry)}
    if entry.response is None:
        work.add(followups.unanswered(work, "par", entry, data), entry.started)
        return
    answer = parse_par_response(entry.response)
    data.update(request_uri=answer.request_uri, expires_in=answer.expires_in,
                problems=list(answer.problems))
    if answer.error:  # refused (RFC 9126 §2.3): the browser never got a URL to open
        work.add(StepResult("par", "error", answer.error, data, request=entry.request,
                            response=entry.response, error=answer.error), entry.started)
        return
    pushed = PushedAuthorizeRequest(**asdict(_authorize_request(work)),
                                    request_uri=answer.request_uri or "",
                                    expires_in=answer.expires_in)
    status = "warning" if answer.problems else "ok"
    work.add(StepResult("par", status, f"request_uri {answer.request_uri}, expires in "
                        f"{answer.expires_in} s", data, request=entry.request,
                        response=entry.response, value=pushed), entry.started)


def _authorize(work: Rebuild) -> None:
    flow, config = work.flow, work.config
    if not flow.authorize:
        work.add(StepResult("authorize", "skipped", "no request_uri: the par step failed"))
        return
    endpoints = work.value("discovery")
    params = _authorize_params(flow)
    request = _authorize_request(work)
    data = {"url": flow.authorize[0].url, "params": params, "state": config.state,
            "nonce": config.nonce}
    if "request_uri" in flow.params:
        data["par"] = _par_data(work)
    leaks = leaked_secrets(params)
    status, summary = "ok", flow.authorize[0].url
    if leaks:
        status = "warning"
        summary = (f"{', '.join(leaks)} in the URL: the browser, logs and Referer headers "
                   "see it")
    if endpoints is not None and config.dialect == "generic" and not config.issuer:
        data["issuer_known"] = bool(endpoints.issuer)
    work.add(StepResult("authorize", status, summary, data, value=request),
             flow.authorize[0].started)


def _par_data(work: Rebuild) -> dict:
    """The pushed request behind request_uri (RFC 9126), when the browser sent it."""
    par = work.flow.par
    if par is None:
        work.lacks("pushed authorization request: a back end sent it (RFC 9126), so the "
                   "parameters behind request_uri (redirect_uri, scope, challenge) are not "
                   "in the HAR")
        return {"request_uri": work.flow.params.get("request_uri"), "seen": False}
    return {"request_uri": work.flow.params.get("request_uri"), "seen": True,
            "url": par.url, "status": par.response.status if par.response else None}


def _login(work: Rebuild) -> None:
    flow = work.flow
    if not flow.authorize:
        work.add(StepResult("login", "skipped", "the browser never opened the authorization "
                            "URL: the par step failed"))
        return
    hops = login_hops.labelled(flow)
    exchanges = tuple(Exchange(e.request, e.response, labels=(label,)) for e, label in hops)
    data = {"mode": "har", "login": login_hops.kind(hops), "hops": [label for _, label in hops]}
    raw = _raw_response(flow)
    if raw is not None:
        response = raw if isinstance(raw, HttpResponse) else None
        data["raw"] = raw if isinstance(raw, str) else None
        summary = f"{len(hops)} browser requests recorded ({data['login']})"
        work.add(StepResult("login", "ok", summary, data, response=response,
                            exchanges=exchanges, value=raw), flow.authorize[0].started)
        return
    refusal = login_hops.failure(hops)
    if refusal is None:
        work.lacks("authorization response: the HAR ends before the browser came back to the "
                   "redirect URI")
    why = refusal[0] if refusal else ("the HAR ends before the authorization response came "
                                      "back: the user did not finish logging in, or the "
                                      "recording stopped")
    says = from_response(refusal[1].response) if refusal else None
    work.add(StepResult("login", "error", why, data, error=why, exchanges=exchanges,
                        server_says=says), flow.authorize[0].started)


def _raw_response(flow: FlowEntries) -> str | HttpResponse | None:
    """What carries the authorization response: the server's redirect (its Location, its
    page), else the URL the browser arrived at, else a form_post callback's fields."""
    if flow.response is not None and flow.response.response is not None:
        return flow.response.response
    if flow.callback is not None:
        form = classify.callback_params(flow.callback)
        if flow.callback.request.method == "POST":
            return classify.without_query(flow.callback.url) + "?" + urlencode(form)
        return flow.callback.url
    return None


def _redirect(work: Rebuild) -> None:
    raw = work.value("login")
    if raw is None:
        work.add(StepResult("redirect", "skipped", "nothing came back: the login step failed"))
        return
    entry = work.flow.response or work.flow.callback
    work.add(redirect_result(work.state(), raw), entry.started if entry else None)


def _token(work: Rebuild) -> tuple[StepResult, ...]:
    """Every code exchange the browser made for this flow; the last is the token step's."""
    parsed = work.value("redirect")
    if not work.flow.tokens:
        if parsed is not None and parsed.code:
            work.lacks("token exchange: not in the HAR; a back end (a confidential client) "
                       "redeemed the code, so its request, the verifier and the tokens are not "
                       "visible")
        why = "no authorization code to exchange" if parsed is None or not parsed.code \
            else f"token request {NOT_IN_HAR}: made by a back end"
        work.add(StepResult("token", "skipped", why))
        return ()
    attempts = tuple(_exchange("token", entry, work) for entry in work.flow.tokens)
    work.results["token"] = attempts[-1]
    return attempts


def _exchange(step: str, entry: HarEntry, work: Rebuild) -> StepResult:
    if entry.response is None:
        why = "the browser recorded no answer to this request (blocked, aborted or refused)"
        work.lacks(f"{step} response: {why}")
        return _at(StepResult(step, "error", why, {"no_answer": True}, request=entry.request,
                              error=why), entry.started)
    if not entry.response.body:
        work.lacks(f"{step} response body: not recorded in the HAR (browsers drop some bodies)")
    return _at(token_exchange_result(step, entry.request, entry.response), entry.started)


def _tokens(work: Rebuild, step: str) -> tuple[dict, HarEntry | None] | None:
    """The parsed token response and the token entry it came from; None, with `step` recorded
    as skipped, when the HAR yielded no token response."""
    parsed = work.value("token")
    if not parsed or parsed.tokens is None:
        work.add(StepResult(step, "skipped", NO_TOKENS))
        return None
    return parsed.tokens, (work.flow.tokens[-1] if work.flow.tokens else None)


def _id_token(work: Rebuild) -> None:
    if (found := _tokens(work, "id_token")) is None:
        return
    tokens, entry = found
    value = tokens.get("id_token")
    if not isinstance(value, str) or not value:
        status = "error" if "openid" in work.config.scope.split() else "skipped"
        work.add(StepResult("id_token", status, "no id_token in the token response",
                            error="no id_token although the scope has openid"
                            if status == "error" else None))
        return
    if _masked_token(work, "id_token", value):
        return
    report = _validate(work, value, entry, id_token=True, nonce=work.config.nonce,
                       audience=work.config.client_id, access_token=tokens.get("access_token"))
    work.add(report_result("id_token", report, _moment(work, entry), "error"))


def _access_token(work: Rebuild) -> None:
    if (found := _tokens(work, "access_token")) is None:
        return
    tokens, entry = found
    value = tokens.get("access_token")
    if not isinstance(value, str) or not value:
        work.add(StepResult("access_token", "skipped", "no access token"))
    elif _masked_token(work, "access_token", value):
        return
    elif not jwt.looks_like_jwt(value):
        work.add(StepResult("access_token", "skipped",
                            "opaque access token: only the resource server reads it"))
    else:
        report = _validate(work, value, entry, id_token=False)
        work.add(report_result("access_token", report, _moment(work, entry), "warning"))


def _masked_token(work: Rebuild, step: str, value: str) -> bool:
    """A token the HAR holds masked: said so (it cannot be decoded or validated), not judged."""
    if not is_masked(value):
        return False
    work.lacks(f"{step}: {MASKED_IN_HAR}, so it cannot be decoded, nor its claims, times and "
               "signature checked")
    work.add(StepResult(step, "skipped", f"{step} {MASKED_IN_HAR} ({value}): it cannot be "
                        "decoded", {"masked": True}))
    return True


def _unmasked(value: str | None) -> str | None:
    """`value`, or None when the HAR holds it masked (nothing can be derived from it)."""
    return None if value is None or is_masked(value) else value


def _validate(work: Rebuild, token: str, entry: HarEntry | None, *, id_token: bool,
              **expected) -> jwt.JwtReport:
    """Validate as of the moment the token arrived, against the HAR's JWKS or `--jwks`."""
    endpoints: Endpoints = work.value("discovery")
    jwks = work.jwks or (classify.jwks_document(work.flow.jwks) if work.flow.jwks else None)
    if jwks is None:
        work.lacks("JWKS: the HAR holds no JWKS response, so token signatures are not "
                   "verified; give --jwks URL|FILE")
    return jwt.validate(token, jwks=jwks, issuer=(endpoints.issuer or None) if endpoints else None,
                        leeway=work.config.leeway, now=_moment(work, entry), id_token=id_token,
                        **expected)


def _moment(work: Rebuild, entry: HarEntry | None) -> float:
    """When the answer arrived: token times are judged as of then, not now. A HAR without
    times leaves only the current clock, and says so."""
    if entry is not None and entry.ended is not None:
        return entry.ended
    work.lacks("times: the token response has no startedDateTime, so the tokens' exp, iat and "
               "nbf are judged against this machine's clock, not the moment of the recording")
    return time.time()


def _userinfo(work: Rebuild) -> None:
    if not work.flow.userinfo:
        work.add(StepResult("userinfo", "skipped", f"userinfo request {NOT_IN_HAR}"))
        return
    entry = work.flow.userinfo[-1]
    response = entry.response
    claims = response.json() if response is not None else None
    if response is None or response.status != 200 or claims is None:
        status = response.status if response is not None else "no answer"
        reason = (response.header("WWW-Authenticate") or response.body[:200]) if response \
            else "the browser recorded no answer"
        why = f"HTTP {status}: {reason}"
        work.add(StepResult("userinfo", "error", why, request=entry.request, response=response,
                            error=why, server_says=from_response(response)), entry.started)
        return
    work.add(StepResult("userinfo", "ok", f"sub {claims.get('sub')}", {"claims": claims},
                        request=entry.request, response=response, value=claims), entry.started)


def _refresh(work: Rebuild) -> None:
    if not work.flow.refreshes:
        work.add(StepResult("refresh", "skipped", f"refresh request {NOT_IN_HAR}"))
        return
    entry = work.flow.refreshes[-1]
    result = _exchange("refresh", entry, work)
    sent = dict(entry.request.form or ()).get("refresh_token")
    if result.status == "ok":
        new = result.value.tokens.get("refresh_token")
        result = replace(result, data={**result.data, "rotated": bool(new) and new != sent})
    work.add(result)


def _masked_secret(work: Rebuild) -> None:
    """A client secret the HAR holds masked (`har sanitize`, a masked export): said so, since
    whether the client sent the registered one cannot be told from it."""
    if any(is_masked(_client_auth(entry)[1] or "") for entry in _authenticated(work.flow)):
        work.lacks(f"client_secret: {MASKED_IN_HAR} (sanitized or exported masked); whether "
                   "the client sent the registered secret cannot be checked")


def _cookies(work: Rebuild) -> None:
    """Chrome leaves cookies out of its exports: say so when none of the login's hops has one."""
    hops = work.flow.hops
    if len(hops) > 1 and not any(
            e.request.header("Cookie") or (e.response and e.response.header("Set-Cookie"))
            for e in hops):
        work.lacks("cookies: the login's requests carry no Cookie or Set-Cookie headers "
                   "(Chrome, for one, leaves them out of exports); a session cookie the login "
                   "relied on is not visible")


def _at(result: StepResult, at: float | None) -> StepResult:
    if at is None:
        return result
    return replace(result, at=at)
