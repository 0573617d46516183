"""PingOne: authorize opens a flow; the flows API (or the sign-on page) checks the password;
`/as/resume` answers with the code (DIALECTS.md, PingOne)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from pkce_tui.sandbox.context import SandboxContext
from pkce_tui.sandbox.dialects import PINGONE
from pkce_tui.sandbox.directory import User, check_password
from pkce_tui.sandbox.endpoints import common_routes, oauth_errors
from pkce_tui.sandbox.form_login import authorize_error
from pkce_tui.sandbox.oauth import OAuthError, authorize_request
from pkce_tui.sandbox.pages import login_page, message_page
from pkce_tui.sandbox.store import PENDING_LIFETIME, Grant, new_id
from pkce_tui.sandbox.web import code_redirect_url, query_params, read_form, read_json_object

ENV = "/pingone/demo-env"
CHECK_TYPE = "application/vnd.pingidentity.usernamePassword.check+json"
FLOW_COOKIE = "interactionToken"
SESSION_COOKIE = "ST"
PASSWORD_REQUIRED = "USERNAME_PASSWORD_REQUIRED"
COMPLETED = "COMPLETED"
BAD_CREDENTIALS = "Invalid username and/or password."


@dataclass
class Flow:
    """A PingOne flow: the authorization request waiting on a sign-on, and its progress."""

    grant: Grant
    interaction_token: str = field(default_factory=new_id)
    status: str = PASSWORD_REQUIRED
    user: User | None = None
    session: str | None = None

    @property
    def id(self) -> str:
        return self.grant.id


def platform_error(status: int, code: str, message: str,
                   details: list[dict] | None = None) -> JSONResponse:
    """PingOne's platform error body (used by /flows and by unredirectable authorize errors)."""
    body: dict = {"id": new_id(12), "code": code, "message": message}
    if details:
        body["details"] = details
    return JSONResponse(body, status_code=status)


def _timestamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def flow_document(ctx: SandboxContext, flow: Flow) -> dict:
    """The flow object, with the links of the actions its status allows."""
    flow_url = ctx.url(f"{ENV}/flows/{flow.id}")
    links = {"self": {"href": flow_url},
             "signOnPage": {"href": ctx.url(f"{ENV}/signon/?flowId={flow.id}")}}
    if flow.status == PASSWORD_REQUIRED:
        links["usernamePassword.check"] = {"href": flow_url}
        links["password.forgot"] = {"href": flow_url}
    document: dict = {
        "_links": links, "_embedded": {"application": {"name": "pkce-tui demo app"}},
        "id": flow.id, "environment": {"id": "demo-env"},
        "resumeUrl": ctx.url(f"{ENV}/as/resume?flowId={flow.id}"), "status": flow.status,
        "createdAt": _timestamp(flow.grant.created_at),
        "expiresAt": _timestamp(flow.grant.created_at + PENDING_LIFETIME),
    }
    if flow.status == COMPLETED and flow.user is not None:
        document["session"] = {"id": flow.session}
        document["_embedded"]["user"] = {"id": flow.user.username,
                                         "username": flow.user.username}
    return document


def pingone_routes(ctx: SandboxContext) -> list[Route]:
    """The PingOne environment `demo-env` at /pingone/demo-env."""

    def find_flow(flow_id: str) -> Flow | None:
        flow = ctx.store.logins.get(flow_id)
        return flow if isinstance(flow, Flow) else None

    def complete(flow: Flow, user: User) -> str:
        flow.status, flow.user = COMPLETED, user
        flow.session = ctx.store.start_session("pingone", user.username)
        return f"{SESSION_COOKIE}={flow.session}; path={ENV}; HttpOnly; SameSite=Lax"

    async def authorize(request: Request) -> Response:
        params = dict(query_params(request))
        if request.method == "POST":
            params.update(await read_form(request))
        try:
            grant = ctx.store.add_grant(authorize_request(ctx, PINGONE, params))
        except OAuthError as err:
            return _authorize_error(ctx, err, params)
        flow = Flow(grant)
        ctx.store.add_login(flow.id, flow)
        if grant.response_mode == "pi.flow":
            response: Response = JSONResponse(flow_document(ctx, flow))
        else:
            response = RedirectResponse(ctx.url(f"{ENV}/signon/?flowId={flow.id}"), 302)
        response.set_cookie(FLOW_COOKIE, flow.interaction_token, path=ENV, httponly=True)
        return response

    async def read_flow(request: Request) -> Response:
        flow = find_flow(request.path_params["flow_id"])
        if flow is None or request.cookies.get(FLOW_COOKIE) != flow.interaction_token:
            return platform_error(404, "NOT_FOUND", "The requested resource was not found.")
        return JSONResponse(flow_document(ctx, flow))

    async def check_password_action(request: Request) -> Response:
        flow = find_flow(request.path_params["flow_id"])
        if flow is None or request.cookies.get(FLOW_COOKIE) != flow.interaction_token:
            return platform_error(404, "NOT_FOUND", "The requested resource was not found.")
        content_type = request.headers.get("content-type", "").split(";")[0].strip()
        if content_type != CHECK_TYPE or flow.status != PASSWORD_REQUIRED:
            return platform_error(400, "INVALID_REQUEST", f"The flow in status {flow.status} "
                                  f"does not accept the content type {content_type!r}.")
        body = await read_json_object(request) or {}
        user = check_password(str(body.get("username", "")), str(body.get("password", "")))
        if user is None:
            return platform_error(400, "INVALID_DATA", "The request could not be completed. "
                                  "One or more validation errors were in the request.",
                                  [{"code": "INVALID_VALUE", "target": "username",
                                    "message": BAD_CREDENTIALS}])
        cookie = complete(flow, user)
        response = JSONResponse(flow_document(ctx, flow))
        response.headers["Set-Cookie"] = cookie
        return response

    async def sign_on_page(request: Request) -> Response:
        flow = find_flow(query_params(request).get("flowId", ""))
        if flow is None:
            return message_page("Sign-on expired", "This flow is unknown or expired; start "
                                "again from the authorization URL.", status=404)
        if request.method == "GET":
            return login_page("PingOne sandbox sign-on", _sign_on_action(flow), {})
        form = await read_form(request)
        user = check_password(form.get("username", ""), form.get("password", ""))
        if user is None or flow.status != PASSWORD_REQUIRED:
            return login_page("PingOne sandbox sign-on", _sign_on_action(flow), {},
                              error=BAD_CREDENTIALS, username=form.get("username", ""))
        response = RedirectResponse(ctx.url(f"{ENV}/as/resume?flowId={flow.id}"), 302)
        response.headers["Set-Cookie"] = complete(flow, user)
        return response

    async def resume(request: Request) -> Response:
        flow = find_flow(query_params(request).get("flowId", ""))
        if flow is None or flow.status != COMPLETED or flow.grant.code is not None \
                or request.cookies.get(SESSION_COOKIE) != flow.session:
            return platform_error(400, "REQUEST_FAILED", "The flow is unknown, not completed, "
                                  "already resumed, or the session cookie is missing.")
        grant = flow.grant
        code = ctx.store.issue_code(grant, flow.user.username if flow.user else "")
        if grant.response_mode == "pi.flow":
            return JSONResponse({"authorizeResponse": {"code": code, "state": grant.state}})
        return RedirectResponse(code_redirect_url(ctx, PINGONE, grant.redirect_uri, code,
                                                  grant.state), 302)

    return [
        Route(PINGONE.path("authorization_endpoint"), oauth_errors(PINGONE, authorize),
              methods=["GET", "POST"]),
        Route(ENV + "/flows/{flow_id}", read_flow),
        Route(ENV + "/flows/{flow_id}", check_password_action, methods=["POST"]),
        Route(ENV + "/signon/", oauth_errors(PINGONE, sign_on_page), methods=["GET", "POST"]),
        Route(ENV + "/as/resume", oauth_errors(PINGONE, resume)),
        *common_routes(ctx, PINGONE),
    ]


def _sign_on_action(flow: Flow) -> str:
    return f"{ENV}/signon/?flowId={flow.id}"


def _authorize_error(ctx: SandboxContext, err: OAuthError, params: dict[str, str]) -> Response:
    """Unregistered redirect URIs and unknown clients get a platform error, not a redirect."""
    if err.redirect:
        return authorize_error(ctx, PINGONE, err, params)
    return platform_error(400, "INVALID_DATA", "The request could not be completed. One or "
                          "more validation errors were in the request.",
                          [{"code": "INVALID_VALUE", "target": err.target or "request",
                            "message": err.description}])
