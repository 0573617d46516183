"""HAR 1.2 recordings of real flows, made by a browser-like client, for the HAR tests.

`HarRecorder` writes every exchange of an httpx client as a HAR entry, the way a browser's
developer tools export it (Chrome's `_resourceType`, Firefox's `postData.params`, Safari's
bare entries; cookies stripped as Chrome does; bodies base64/gzip encoded). `record_flow`
drives one authorization code flow through a real server on loopback as a browser and a
single-page app would: discovery, the authorize request, the login (CyberArk's Security API,
PingOne's flows API, or an HTML form), the redirect, and, for an SPA, the token request,
JWKS, userinfo and refresh, then the follow-ups asked for (introspection, revocation,
RP-initiated logout). A confidential client authenticates as asked (HTTP Basic or form
fields) at the PAR, token, introspection and revocation endpoints. Failures are made on purpose
(a wrong verifier, another redirect_uri, a code redeemed twice, a declined login, an unknown
client, a wrong client secret at one endpoint, an unregistered post-logout URI) so the tests
can check that the rebuilt flow names the true cause.

Regenerate sample files by hand with `python tests/har_recorder.py OUT_DIR` (starts the
sandbox, records a flow per dialect).
"""

from __future__ import annotations

import base64
import gzip
import json
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit

import httpx

from pkce_tui.core import login
from pkce_tui.core.htmlform import parse_form
from pkce_tui.core.pkce import generate_verifier, make_challenge

SHAPES = ("chrome", "firefox", "safari")
SECRET_HEADERS = ("cookie", "set-cookie")
ANALYTICS_URL = "https://www.google-analytics.com/g/collect?v=2&tid=G-TEST&en=page_view"


@dataclass
class HarRecorder:
    """Collects a client's exchanges as HAR entries; `har()` is the document."""

    shape: str = "chrome"
    strip_cookies: bool = False
    encode_bodies: bool = False
    entries: list[dict] = field(default_factory=list)
    #: the recording's clock: real time, moved by `shift` to make an old HAR
    offset: timedelta = timedelta()

    def client(self) -> httpx.AsyncClient:
        """A client whose every answer is recorded; redirects are followed by the caller."""
        return httpx.AsyncClient(event_hooks={"response": [self._record]}, trust_env=False,
                                 follow_redirects=False, timeout=10.0)

    async def _record(self, response: httpx.Response) -> None:
        await response.aread()
        elapsed = response.elapsed.total_seconds() if hasattr(response, "_elapsed") else 0.0
        self.entries.append(self._entry(response.request, response, elapsed))

    def unanswered(self, method: str, url: str) -> None:
        """A request the browser made that got no answer (an app not running: status 0)."""
        self.entries.append(self._entry(httpx.Request(method, url), None, 0.0))

    def noise(self) -> None:
        """An analytics beacon, as every real page's HAR has; it is never sent anywhere."""
        entry = self._entry(httpx.Request("GET", ANALYTICS_URL), None, 0.0)
        entry["response"].update(status=204, statusText="No Content")
        entry["_resourceType"] = "ping"
        self.entries.append(entry)

    def _entry(self, request: httpx.Request, response: httpx.Response | None,
               elapsed: float) -> dict:
        started = datetime.now(UTC) + self.offset - timedelta(seconds=elapsed)
        entry = {
            "startedDateTime": started.isoformat().replace("+00:00", "Z"),
            "time": round(elapsed * 1000, 3),
            "request": self._request(request),
            "response": self._response(response),
            "cache": {},
            "timings": {"send": 0, "wait": round(elapsed * 1000, 3), "receive": 0},
        }
        if self.shape == "chrome":
            entry["_resourceType"] = _resource_type(request)
        if self.shape == "safari":
            entry.pop("cache")
            entry.pop("timings")
        return entry

    def _headers(self, headers: httpx.Headers) -> list[dict]:
        return [{"name": name, "value": value} for name, value in headers.multi_items()
                if not (self.strip_cookies and name.lower() in SECRET_HEADERS)]

    def _request(self, request: httpx.Request) -> dict:
        data = {"method": request.method, "url": str(request.url), "httpVersion": "HTTP/1.1",
                "headers": self._headers(request.headers),
                "queryString": [{"name": k, "value": v}
                                for k, v in parse_qsl(request.url.query.decode())],
                "cookies": [], "headersSize": -1, "bodySize": len(request.content)}
        if request.content:
            data["postData"] = self._post_data(request)
        if self.shape == "safari":
            for optional in ("cookies", "headersSize", "queryString"):
                data.pop(optional)
        return data

    def _post_data(self, request: httpx.Request) -> dict:
        mime = request.headers.get("content-type", "")
        text = request.content.decode("utf-8", "replace")
        post = {"mimeType": mime, "text": text}
        if self.shape == "firefox" and "urlencoded" in mime:
            post["params"] = [{"name": k, "value": v}
                              for k, v in parse_qsl(text, keep_blank_values=True)]
        return post

    def _response(self, response: httpx.Response | None) -> dict:
        if response is None:
            return {"status": 0, "statusText": "", "httpVersion": "", "headers": [],
                    "cookies": [], "content": {"size": 0, "mimeType": "x-unknown"},
                    "redirectURL": "", "headersSize": -1, "bodySize": -1,
                    "_error": "net::ERR_CONNECTION_REFUSED"}
        content = {"size": len(response.content),
                   "mimeType": response.headers.get("content-type", "x-unknown")}
        if response.content:
            content.update(self._content(response.content))
        return {"status": response.status_code, "statusText": response.reason_phrase,
                "httpVersion": "HTTP/1.1", "headers": self._headers(response.headers),
                "cookies": [], "content": content,
                "redirectURL": response.headers.get("location", ""), "headersSize": -1,
                "bodySize": len(response.content)}

    def _content(self, body: bytes) -> dict:
        if self.encode_bodies:
            return {"text": base64.b64encode(gzip.compress(body)).decode(), "encoding": "base64"}
        return {"text": body.decode("utf-8", "replace")}

    def har(self) -> dict:
        creator = {"chrome": ("WebInspector", "537.36"), "firefox": ("Firefox", "128.0"),
                   "safari": ("WebKit Web Inspector", "18.0")}[self.shape]
        return {"log": {"version": "1.2", "creator": {"name": creator[0], "version": creator[1]},
                        "pages": [], "entries": list(self.entries)}}

    def text(self) -> str:
        return json.dumps(self.har(), indent=1)


def _resource_type(request: httpx.Request) -> str:
    if request.url.path.endswith(".ico"):
        return "image"
    kind = request.headers.get("content-type", "") + request.headers.get("accept", "")
    return "fetch" if "json" in kind or request.headers.get("authorization") else "document"


# --- driving a flow as a browser and an SPA -------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where a flow goes: an issuer with discovery, its dialect, and the tenant's login."""

    issuer: str
    dialect: str = "generic"
    tenant_url: str | None = None  # CyberArk's Security API lives here


@dataclass
class Plan:
    """One recorded flow: who logs in, what the SPA sends, and what goes wrong on purpose."""

    client_id: str = "demo-public"
    redirect_uri: str = "http://127.0.0.1:8765/callback"
    scope: str = "openid profile email"
    method: str | None = "S256"
    spa: bool = True  # the browser makes the token request (a single-page app)
    username: str = "alice"
    password: str = "pass"
    decline: bool = False
    wrong_verifier: bool = False
    token_redirect_uri: str | None = None
    redeem_twice: bool = False
    refresh: bool = True
    par: bool = False  # push the request first (RFC 9126), as an SPA may
    origin: str | None = "http://127.0.0.1:8765"  # the SPA's page, sent by fetch (CORS)
    state: str = "state-from-har"
    nonce: str = "nonce-from-har"
    verifier: str = field(default_factory=generate_verifier)
    extra: dict[str, str] = field(default_factory=dict)
    #: a confidential client's secret, sent as `auth_method` says (RFC 6749 §2.3.1)
    client_secret: str | None = None
    auth_method: str = "none"
    #: the requests sent with a wrong secret on purpose: par, token, introspection, revocation
    wrong_secret: tuple[str, ...] = ()
    introspect: bool = False
    revoke: bool = False
    #: introspect the revoked token afterwards, to see it is dead (RFC 7009 §2.2)
    check_revocation: bool = False
    logout: bool = False
    post_logout_redirect_uri: str | None = None

    def client_auth(self, request: str) -> tuple[dict[str, str], dict[str, str]]:
        """The headers and form fields that authenticate the client at `request`."""
        secret = "wrong-secret" if request in self.wrong_secret else self.client_secret or ""
        if self.auth_method == "client_secret_basic":
            pair = f"{quote(self.client_id, safe='')}:{quote(secret, safe='')}"
            return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}, {}
        if self.auth_method == "client_secret_post":
            return {}, {"client_id": self.client_id, "client_secret": secret}
        return {}, {"client_id": self.client_id}

    def authorize_params(self) -> dict[str, str]:
        params = {"client_id": self.client_id, "redirect_uri": self.redirect_uri,
                  "response_type": "code", "scope": self.scope, "state": self.state,
                  "nonce": self.nonce}
        if self.method:
            params["code_challenge"] = make_challenge(self.verifier, self.method).code_challenge
            params["code_challenge_method"] = self.method
        return {**params, **self.extra}


async def record_flow(recorder: HarRecorder, target: Target, plan: Plan) -> None:
    """Run one flow through `target` as a browser (and an SPA when `plan.spa`), recorded."""
    async with recorder.client() as client:
        metadata = (await client.get(target.issuer.rstrip("/")
                                     + "/.well-known/openid-configuration",
                                     headers={"Accept": "application/json"})).json()
        await client.get(urljoin(target.issuer, "/favicon.ico"))
        recorder.noise()
        params = plan.authorize_params()
        if plan.par:
            headers, auth = plan.client_auth("par")
            pushed = await client.post(metadata["pushed_authorization_request_endpoint"],
                                       data={**params, **auth},
                                       headers={"Accept": "application/json", **headers})
            if pushed.status_code != 201:
                return
            params = {"client_id": plan.client_id, "request_uri": pushed.json()["request_uri"]}
        url = metadata["authorization_endpoint"] + "?" + urlencode(params)
        redirect = await _log_in(client, target, plan, url)
        if redirect is None:
            return
        params = dict(parse_qsl(urlsplit(redirect).query))
        recorder.unanswered("GET", redirect)  # the app at the redirect URI is not running
        if not plan.spa or "code" not in params:
            return
        tokens = await _spa_tokens(client, metadata, plan, params["code"])
        if tokens is not None:
            await _follow_ups(recorder, client, metadata, plan, tokens)


async def _log_in(client: httpx.AsyncClient, target: Target, plan: Plan,
                  url: str) -> str | None:
    """The login a browser goes through; the redirect URL it ends at, or None."""
    if plan.decline:
        return await _walk(client, url, plan, decline=True)
    credentials = {"username": plan.username, "password": plan.password}
    if target.dialect == "cyberark":
        page = await client.get(url)  # no session yet: to the login page
        await client.get(urljoin(url, page.headers["location"]))
        result = await login.cyberark_login(client, tenant_url=target.tenant_url or "",
                                            authorize_url=url, **credentials)
    elif target.dialect == "pingone":
        result = await login.pingone_login(client, authorize_url=url, **credentials)
    else:
        return await _walk(client, url, plan)
    if result.redirect is None:
        return None
    location = result.redirect.header("Location")
    return urljoin(url, location) if location else None


async def _through_redirects(client: httpx.AsyncClient, request: httpx.Request,
                             destination: str | None
                             ) -> tuple[str | None, httpx.Request, object | None]:
    """Send `request` and follow its redirects: the URL reached once one goes to
    `destination`, else the page's request and form (None when the page has none)."""
    for _ in range(12):
        response = await client.send(request)
        location = response.headers.get("location")
        if not (response.is_redirect and location):
            break
        target = urljoin(str(request.url), location)
        if target.split("?")[0] == destination:
            return target, request, None
        request = client.build_request("GET", target)
    html = "html" in response.headers.get("content-type", "")
    return None, request, parse_form(response.text, str(request.url)) if html else None


async def _walk(client: httpx.AsyncClient, url: str, plan: Plan, *,
                decline: bool = False) -> str | None:
    """Follow redirects and fill the login form until the redirect URI; None if never."""
    request = client.build_request("GET", url)
    for _ in range(12):
        reached, request, form = await _through_redirects(client, request, plan.redirect_uri)
        if reached or form is None:
            return reached
        if form.asks_password:
            if any(name == "password" and value for name, value in form.fields):
                return None  # already tried: the form came back
            form = form.filled(plan.username, plan.password)
            if decline:
                form = type(form)(form.method, form.action,
                                  tuple((n, "decline" if n == "action" else v)
                                        for n, v in form.fields), form.password_field)
        sent = form.request()
        request = client.build_request(sent.method, sent.url, content=sent.body,
                                       headers=dict(sent.all_headers()))
    return None


async def _spa_tokens(client: httpx.AsyncClient, metadata: dict, plan: Plan,
                      code: str) -> dict | None:
    """What a single-page app does with the code: token, JWKS, userinfo, refresh; the newest
    tokens, or None when the code was refused."""
    verifier = generate_verifier() if plan.wrong_verifier else plan.verifier
    auth_headers, auth = plan.client_auth("token")
    form = {"grant_type": "authorization_code", "code": code,
            "redirect_uri": plan.token_redirect_uri or plan.redirect_uri, **auth}
    if plan.method:
        form["code_verifier"] = verifier
    headers = {"Accept": "application/json", **({"Origin": plan.origin} if plan.origin else {}),
               **auth_headers}
    answer = await client.post(metadata["token_endpoint"], data=form, headers=headers)
    if plan.redeem_twice:
        answer = await client.post(metadata["token_endpoint"], data=form, headers=headers)
    if answer.status_code != 200:
        return None
    tokens = answer.json()
    await client.get(metadata["jwks_uri"], headers={"Accept": "application/json"})
    if metadata.get("userinfo_endpoint"):
        await client.get(metadata["userinfo_endpoint"],
                         headers={"Authorization": f"Bearer {tokens['access_token']}"})
    if plan.refresh and tokens.get("refresh_token"):
        refreshed = await client.post(metadata["token_endpoint"], headers=headers, data={
            "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], **auth})
        tokens = {**tokens, **(refreshed.json() if refreshed.status_code == 200 else {})}
    return tokens


async def _follow_ups(recorder: HarRecorder, client: httpx.AsyncClient, metadata: dict,
                      plan: Plan, tokens: dict) -> None:
    """Introspection (RFC 7662 §2.1), revocation (RFC 7009 §2.1) and RP-initiated logout,
    each when the plan asks for it, with the newest tokens."""
    for asked, step, endpoint, name in (
            (plan.introspect, "introspection", "introspection_endpoint", "access_token"),
            (plan.revoke, "revocation", "revocation_endpoint",
             "refresh_token" if tokens.get("refresh_token") else "access_token")):
        if asked:
            await _post_token(client, plan, step, metadata[endpoint], tokens[name], name)
    if plan.revoke and plan.check_revocation:
        name = "refresh_token" if tokens.get("refresh_token") else "access_token"
        await _post_token(client, plan, "introspection", metadata["introspection_endpoint"],
                          tokens[name], name)
    if plan.logout:
        back = await _log_out(client, metadata, plan, tokens.get("id_token"))
        if back is not None:
            recorder.unanswered("GET", back)


async def _post_token(client: httpx.AsyncClient, plan: Plan, step: str, endpoint: str,
                      token: str, hint: str) -> None:
    """A token sent to the introspection or revocation endpoint, the client authenticated."""
    headers, auth = plan.client_auth(step)
    await client.post(endpoint, headers={"Accept": "application/json", **headers},
                      data={"token": token, "token_type_hint": hint, **auth})


async def _log_out(client: httpx.AsyncClient, metadata: dict, plan: Plan,
                   id_token: str | None) -> str | None:
    """The browser sent to the end-session endpoint (RP-Initiated Logout 1.0 §2), submitting
    the provider's confirmation form, back to the post-logout URI (whose app is not running)."""
    params = {"id_token_hint": id_token or "", "client_id": plan.client_id}
    if plan.post_logout_redirect_uri:
        params.update(post_logout_redirect_uri=plan.post_logout_redirect_uri,
                      state="logout-state")
    request = client.build_request("GET", metadata["end_session_endpoint"] + "?"
                                   + urlencode(params))
    for _ in range(3):
        reached, request, form = await _through_redirects(client, request,
                                                          plan.post_logout_redirect_uri)
        if reached or form is None:
            return reached
        sent = form.request()
        request = client.build_request(sent.method, sent.url, content=sent.body,
                                       headers=dict(sent.all_headers()))
    return None


def sandbox_target(base_url: str, dialect: str) -> Target:
    """The sandbox's issuer for `dialect` (DESIGN.md §5)."""
    from pkce_tui.sandbox.dialects import DIALECTS

    return Target(base_url + DIALECTS[dialect].issuer_path, dialect,
                  tenant_url=base_url + "/cyberark" if dialect == "cyberark" else None)


async def _record_samples(out: Path) -> None:
    from pkce_tui.sandbox import Sandbox

    out.mkdir(parents=True, exist_ok=True)
    with Sandbox() as sandbox:
        for dialect in ("cyberark", "pingone", "cloudentity", "generic"):
            recorder = HarRecorder()
            await record_flow(recorder, sandbox_target(sandbox.base_url, dialect), Plan())
            (out / f"{dialect}-spa.har").write_text(recorder.text())
            print(out / f"{dialect}-spa.har")


if __name__ == "__main__":
    import asyncio

    if len(sys.argv) != 2:
        sys.exit("usage: python tests/har_recorder.py OUT_DIR")
    asyncio.run(_record_samples(Path(sys.argv[1])))
