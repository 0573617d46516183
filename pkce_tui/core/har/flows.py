"""One HAR, several flows: the entries of each authorization code flow, in time order.

A flow starts at an authorization request, or at a pushed authorization request the server
refused (the browser then never opens the authorization URL). The same request sent again
before anything came back (CyberArk bounces the browser through its login page and back to
authorize) continues it; another client, state or challenge starts a new one. Each later entry
goes to the flow it belongs to: a token request to the flow whose code it redeems, a refresh,
an introspection or a revocation to the flow that issued its token, a logout to the flow that
issued its id_token_hint, everything else to the flow in progress.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from pkce_tui.core.har import classify
from pkce_tui.core.har.document import HarEntry

KEY_PARAMS = ("client_id", "state", "code_challenge", "request_uri", "redirect_uri")


@dataclass
class FlowEntries:
    """The entries of one flow, by role; `hops` is the front channel from authorize to the
    authorization response, in order."""

    params: dict[str, str]
    authorize: list[HarEntry] = field(default_factory=list)
    hops: list[HarEntry] = field(default_factory=list)
    response: HarEntry | None = None
    callback: HarEntry | None = None
    tokens: list[HarEntry] = field(default_factory=list)
    refreshes: list[HarEntry] = field(default_factory=list)
    userinfo: list[HarEntry] = field(default_factory=list)
    discovery: HarEntry | None = None
    jwks: HarEntry | None = None
    par: HarEntry | None = None
    introspections: list[HarEntry] = field(default_factory=list)
    revocations: list[HarEntry] = field(default_factory=list)
    #: each logout: the end-session request and the hops that followed it (a confirmation
    #: form submitted, the redirect back to the post-logout URI)
    logouts: list[list[HarEntry]] = field(default_factory=list)

    @property
    def first(self) -> HarEntry:
        """The flow's first request: the authorization request, or a refused PAR."""
        return self.authorize[0] if self.authorize else self.par  # type: ignore[return-value]

    @property
    def authorize_endpoint(self) -> str:
        """The authorization endpoint; for a refused PAR, the one discovery names (else the
        PAR endpoint, the only one the HAR shows)."""
        if self.authorize:
            return classify.without_query(self.authorize[0].url)
        named = (classify.discovery_document(self.discovery) or {}).get(
            "authorization_endpoint") if self.discovery else None
        return named if isinstance(named, str) else classify.without_query(self.first.url)

    @property
    def key(self) -> tuple:
        return tuple(self.params.get(name) for name in KEY_PARAMS)

    @property
    def answered(self) -> bool:
        """The authorization response (code or error) came back."""
        return self.response is not None or self.callback is not None

    @property
    def code(self) -> str | None:
        found = {**(classify.callback_params(self.callback) if self.callback else {}),
                 **(classify.redirect_params(self.response) if self.response else {})}
        return found.get("code") or None

    def issued(self, name: str) -> set[str]:
        """Every `name` token (access_token, refresh_token, id_token) this flow's grants
        answered."""
        tokens = set()
        for entry in self.tokens + self.refreshes:
            body = entry.response.json() if entry.response else None
            if body and isinstance(body.get(name), str):
                tokens.add(body[name])
        return tokens


@dataclass
class _Split:
    flows: list[FlowEntries] = field(default_factory=list)
    discoveries: list[HarEntry] = field(default_factory=list)
    jwks: list[HarEntry] = field(default_factory=list)
    pars: list[HarEntry] = field(default_factory=list)
    #: the logout whose hops are still arriving
    logout: list[HarEntry] | None = None
    #: each endpoint name of the discovery documents seen so far, with their URLs
    endpoints: dict[str, set[str]] = field(default_factory=dict)

    @property
    def current(self) -> FlowEntries | None:
        return self.flows[-1] if self.flows else None

    def discovered(self, entry: HarEntry, document: dict) -> None:
        self.discoveries.append(entry)
        for name, url in document.items():
            if name.endswith("_endpoint") and isinstance(url, str):
                self.endpoints.setdefault(name, set()).add(url)


def split_flows(entries: list[HarEntry]) -> list[FlowEntries]:
    """The flows in `entries` (time order), each with its discovery, JWKS and PAR attached."""
    split = _Split()
    for entry in entries:
        if not classify.is_noise(entry):
            _place(split, entry)
    for flow in split.flows:
        _attach_shared(flow, split)
    return split.flows


def _place(split: _Split, entry: HarEntry) -> None:
    endpoints = split.endpoints
    params = classify.authorize_params(entry)
    logout, split.logout = split.logout, None
    if classify.is_par(entry, endpoints):
        _par(split, entry)
    elif params is not None:
        _authorize(split, entry, params)
    elif (document := classify.discovery_document(entry)) is not None:
        split.discovered(entry, document)
    elif classify.jwks_document(entry) is not None:
        split.jwks.append(entry)
    elif (grant := classify.grant_type(entry)) is not None:
        _grant(split, entry, grant)
    elif (step := classify.token_followup(entry, endpoints)) is not None:
        _token_followup(split, entry, step)
    elif (sent := classify.logout_params(entry, endpoints)) is not None:
        _logout(split, entry, sent)
    elif logout is not None and _continues(logout, entry):
        logout.append(entry)
        split.logout = logout
    elif split.current is not None:
        _front_channel(split.current, entry)


def _par(split: _Split, entry: HarEntry) -> None:
    """A pushed request answered with a request_uri waits for the authorize request that
    brings it; a refused one is a flow of its own, which goes no further (RFC 9126 §2.3)."""
    if classify.par_request_uri(entry) is not None:
        split.pars.append(entry)
        return
    split.flows.append(FlowEntries(dict(entry.request.form or ()), par=entry))


def _token_followup(split: _Split, entry: HarEntry, step: str) -> None:
    """An introspection or revocation goes to the flow that issued its token."""
    token = dict(entry.request.form or ()).get("token")
    owner = next((f for f in reversed(split.flows)
                  if token in f.issued("access_token") | f.issued("refresh_token")),
                 split.current)
    if owner is not None:
        (owner.introspections if step == "introspection" else owner.revocations).append(entry)


def _logout(split: _Split, entry: HarEntry, params: dict[str, str]) -> None:
    """A logout goes to the flow that issued its id_token_hint; its hops follow it."""
    hint = params.get("id_token_hint")
    owner = next((f for f in reversed(split.flows) if hint and hint in f.issued("id_token")),
                 split.current)
    if owner is not None:
        split.logout = [entry]
        owner.logouts.append(split.logout)


def _continues(hops: list[HarEntry], entry: HarEntry) -> bool:
    """The entry is the next hop of a logout: where its last answer redirected the browser,
    or a form the end-session page posted on its own origin (a confirmation)."""
    last = hops[-1].response
    if last is None:
        return False
    location = last.header("Location")
    if location:
        return _same_endpoint(entry.url, urljoin(hops[-1].url, location))
    same_origin = urlsplit(entry.url).netloc == urlsplit(hops[0].url).netloc
    return entry.request.method == "POST" and same_origin and "<form" in last.body.lower()


def _authorize(split: _Split, entry: HarEntry, params: dict[str, str]) -> None:
    flow = split.current
    if flow is None or flow.answered or FlowEntries(params).key != flow.key:
        flow = FlowEntries(params)
        split.flows.append(flow)
    flow.authorize.append(entry)
    flow.hops.append(entry)
    if classify.redirect_params(entry) or _is_form_post_page(flow, entry):
        flow.response = entry


def _grant(split: _Split, entry: HarEntry, grant: str) -> None:
    form = dict(entry.request.form or ())
    if grant == "authorization_code":
        owner = next((f for f in split.flows if f.code and f.code == form.get("code")), None)
        target = (owner or split.current)
        if target is not None:
            target.tokens.append(entry)
        return
    owner = next((f for f in reversed(split.flows)
                  if form.get("refresh_token") in f.issued("refresh_token")), split.current)
    if owner is not None:
        owner.refreshes.append(entry)


def _front_channel(flow: FlowEntries, entry: HarEntry) -> None:
    """A login hop, the authorization response, the callback, or a userinfo call."""
    if classify.is_userinfo(entry, None):
        owner_tokens = flow.issued("access_token")
        if not owner_tokens or classify.bearer(entry) in owner_tokens:
            flow.userinfo.append(entry)
        return
    if _is_callback(flow, entry):
        if flow.callback is None:
            flow.callback = entry
        return
    if flow.answered:
        return
    flow.hops.append(entry)
    if classify.redirect_params(entry) or _is_form_post_page(flow, entry):
        flow.response = entry


def _is_callback(flow: FlowEntries, entry: HarEntry) -> bool:
    """The browser arriving at the redirect URI with code or error (RFC 6749 §4.1.2)."""
    if not classify.callback_params(entry):
        return False
    redirect_uri = flow.params.get("redirect_uri")
    if redirect_uri:
        return _same_endpoint(entry.url, redirect_uri)
    return urlsplit(entry.url).netloc != urlsplit(flow.first.url).netloc


def _is_form_post_page(flow: FlowEntries, entry: HarEntry) -> bool:
    """An HTML page whose form posts code or error to the redirect URI (OAuth 2.0 Form Post
    Response Mode §2)."""
    response, redirect_uri = entry.response, flow.params.get("redirect_uri")
    if response is None or response.status != 200 or not redirect_uri:
        return False
    body = response.body
    return "<form" in body.lower() and redirect_uri in body and (
        'name="code"' in body or 'name="error"' in body)


def _same_endpoint(url: str, other: str) -> bool:
    a, b = urlsplit(url), urlsplit(other)
    return (a.scheme, a.hostname, a.port, a.path) == (b.scheme, b.hostname, b.port, b.path)


def _attach_shared(flow: FlowEntries, split: _Split) -> None:
    """The discovery document naming this flow's authorize endpoint, or its refused PAR's
    endpoint (the latest before the flow when there are several), its JWKS, and the PAR that
    issued its request_uri."""
    name, endpoint = ("authorization_endpoint", classify.without_query(flow.authorize[0].url)) \
        if flow.authorize else ("pushed_authorization_request_endpoint",
                                classify.without_query(flow.first.url))
    started = flow.first.started or 0.0
    matching = [e for e in split.discoveries
                if (classify.discovery_document(e) or {}).get(name) == endpoint]
    before = [e for e in matching if (e.started or 0.0) <= started]
    flow.discovery = (before or matching or [None])[-1]
    jwks_uri = (classify.discovery_document(flow.discovery) or {}).get("jwks_uri") \
        if flow.discovery else None
    named = [e for e in split.jwks if jwks_uri and classify.without_query(e.url) == jwks_uri]
    origin = urlsplit(endpoint).netloc
    same_origin = [e for e in split.jwks if urlsplit(e.url).netloc == origin]
    flow.jwks = (named or same_origin or [None])[-1]
    request_uri = flow.params.get("request_uri")
    if flow.authorize:
        flow.par = next((e for e in split.pars if request_uri
                         and classify.par_request_uri(e) == request_uri), None)
