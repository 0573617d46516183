"""PingOne: authorize opens a flow; the flows API (or the sign-on page) checks the password;
`/as/resume` answers with the code (DIALECTS.md, PingOne)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pkce_tui.sandbox import pushed
from pkce_tui.sandbox.context import SandboxContext
from pkce_tui.sandbox.dialects import PINGONE
from pkce_tui.sandbox.directory import User, check_password
from pkce_tui.sandbox.endpoints import CommonRoutes, oauth_errors
from pkce_tui.sandbox.oauth import OAuthError, authorize_request
from pkce_tui.sandbox.pages import login_page, message_page
from pkce_tui.sandbox.store import PENDING_LIFETIME, Grant, new_id
from pkce_tui.sandbox.web import (
    authorize_error,
    code_redirect_url,
    query_params,
    read_form,
    read_json_object,
    redirect_to,
)

ENV = "/pingone/demo-env"
CHECK_TYPE = "application/vnd.pingidentity.usernamePassword.check+json"
FLOW_COOKIE = "interactionToken"
SESSION_COOKIE = "ST"
PASSWORD_REQUIRED = "USERNAME_PASSWORD_REQUIRED"
COMPLETED = "COMPLETED"
BAD_CREDENTIALS = "Invalid username and/or password."
SIGN_ON_TITLE = "PingOne sandbox sign-on"


@dataclass
class Flow:
    """A PingOne flow: the authorization request waiting on a sign-on, and its progress."""

    grant: Grant
    interaction_token: str = field(default_factory=new_id)
    status: str = PASSWORD_REQUIRED
    user: User | None = None
    session: str | None = None  # the ST cookie's value: a credential, never shown
    session_id: str = field(default_factory=new_id)  # what the flow document names

    @property
    def id(self) -> str:
        return self.grant.id

    @property
    def sign_on_path(self) -> str:
        return f"{ENV}/signon/?flowId={self.id}"

    @property
    def resume_path(self) -> str:
        return f"{ENV}/as/resume?flowId={self.id}"


def platform_error(status: int, code: str, message: str,
                   details: list[dict] | None = None) -> JSONResponse:
    """PingOne's platform error body (used by /flows and by unredirectable authorize errors)."""
    body: dict = {"id": new_id(12), "code": code, "message": message}
    if details:
        body["details"] = details
    return JSONResponse(body, status_code=status)


def not_found() -> JSONResponse:
    return platform_error(404, "NOT_FOUND", "The requested resource was not found.")


def invalid_data(target: str, message: str) -> JSONResponse:
    """The 400 PingOne answers when a request's value fails validation, naming the value."""
    return platform_error(400, "INVALID_DATA", "The request could not be completed. One or more "
                          "validation errors were in the request.",
                          [{"code": "INVALID_VALUE", "target": target, "message": message}])


def _timestamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def flow_document(ctx: SandboxContext, flow: Flow) -> dict:
    """The flow object, with the links of the actions its status allows."""
    flow_url = ctx.url(f"{ENV}/flows/{flow.id}")
    links = {"self": {"href": flow_url},
             "signOnPage": {"href": ctx.url(flow.sign_on_path)}}
    if flow.status == PASSWORD_REQUIRED:
        links["usernamePassword.check"] = {"href": flow_url}
        links["password.forgot"] = {"href": flow_url}
    document: dict = {
        "_links": links, "_embedded": {"application": {"name": "pkce-tui demo app"}},
        "id": flow.id, "environment": {"id": "demo-env"},
        "resumeUrl": ctx.url(flow.resume_path), "status": flow.status,
        "createdAt": _timestamp(flow.grant.created_at),
        "expiresAt": _timestamp(flow.grant.created_at + PENDING_LIFETIME),
    }
    if flow.status == COMPLETED and flow.user is not None:
        document["session"] = {"id": flow.session_id}
        document["_embedded"]["user"] = {"id": flow.user.username,
                                         "username": flow.user.username}
    return document


def session_cookie(flow: Flow) -> str:
    return f"{SESSION_COOKIE}={flow.session}; path={ENV}; HttpOnly; SameSite=Lax"


class PingOneRoutes:
    """The PingOne environment `demo-env` at /pingone/demo-env."""

    def __init__(self, ctx: SandboxContext):
        self.ctx = ctx

    def routes(self) -> list[Route]:
        return [
            Route(PINGONE.path("authorization_endpoint"), oauth_errors(PINGONE, self.authorize),
                  methods=["GET", "POST"]),
            Route(ENV + "/flows/{flow_id}", self.read_flow),
            Route(ENV + "/flows/{flow_id}", self.check_password_action, methods=["POST"]),
            Route(ENV + "/signon/", oauth_errors(PINGONE, self.sign_on_page),
                  methods=["GET", "POST"]),
            Route(ENV + "/as/resume", oauth_errors(PINGONE, self.resume)),
            *CommonRoutes(self.ctx, PINGONE).routes(),
        ]

    def find_flow(self, flow_id: str) -> Flow | None:
        flow = self.ctx.store.logins.get(flow_id)
        return flow if isinstance(flow, Flow) else None

    def flow_of_caller(self, request: Request) -> Flow | None:
        """The path's flow, but only for the browser holding its interactionToken cookie."""
        flow = self.find_flow(request.path_params["flow_id"])
        if flow is None or request.cookies.get(FLOW_COOKIE) != flow.interaction_token:
            return None
        return flow

    def complete(self, flow: Flow, user: User) -> None:
        """The user signed on: the flow can be resumed, under a new session."""
        flow.status, flow.user = COMPLETED, user
        flow.session = self.ctx.store.start_session("pingone", user.username)

    async def authorize(self, request: Request) -> Response:
        """Open a flow for a valid request and hand the browser its interactionToken."""
        params = await authorize_params(request)
        try:
            params = pushed.resolve(self.ctx, PINGONE, params)
            grant = self.ctx.store.add_grant(authorize_request(self.ctx, PINGONE, params))
        except OAuthError as err:
            return _authorize_error(self.ctx, err, params)
        flow = Flow(grant)
        self.ctx.store.add_login(flow.id, flow)
        response = self.flow_opened(flow)
        response.set_cookie(FLOW_COOKIE, flow.interaction_token, path=ENV, httponly=True)
        return response

    def flow_opened(self, flow: Flow) -> Response:
        """The flow document for response_mode pi.flow; otherwise off to the sign-on page."""
        if flow.grant.response_mode == "pi.flow":
            return JSONResponse(flow_document(self.ctx, flow))
        return redirect_to(self.ctx.url(flow.sign_on_path))

    async def read_flow(self, request: Request) -> Response:
        flow = self.flow_of_caller(request)
        if flow is None:
            return not_found()
        return JSONResponse(flow_document(self.ctx, flow))

    async def check_password_action(self, request: Request) -> Response:
        """The usernamePassword.check action: the right password completes the flow."""
        flow = self.flow_of_caller(request)
        if flow is None:
            return not_found()
        refusal = _action_refusal(request, flow)
        if refusal is not None:
            return refusal
        body = await read_json_object(request) or {}
        user = check_password(str(body.get("username", "")), str(body.get("password", "")))
        if user is None:
            return invalid_data("username", BAD_CREDENTIALS)
        self.complete(flow, user)
        response = JSONResponse(flow_document(self.ctx, flow))
        response.headers["Set-Cookie"] = session_cookie(flow)
        return response

    async def sign_on_page(self, request: Request) -> Response:
        """The hosted sign-on page: the form on GET, the password check on POST."""
        flow = self.find_flow(query_params(request).get("flowId", ""))
        if flow is None:
            return message_page("Sign-on expired", "This flow is unknown or expired; start "
                                "again from the authorization URL.", status=404)
        if request.method == "GET":
            return login_page(SIGN_ON_TITLE, flow.sign_on_path, {})
        return self.sign_on(flow, await read_form(request))

    def sign_on(self, flow: Flow, form: dict[str, str]) -> Response:
        """The posted sign-on form: the right password sends the browser on to resume."""
        user = check_password(form.get("username", ""), form.get("password", ""))
        if user is None or flow.status != PASSWORD_REQUIRED:
            return login_page(SIGN_ON_TITLE, flow.sign_on_path, {}, error=BAD_CREDENTIALS,
                              username=form.get("username", ""))
        self.complete(flow, user)
        response = redirect_to(self.ctx.url(flow.resume_path))
        response.headers["Set-Cookie"] = session_cookie(flow)
        return response

    async def resume(self, request: Request) -> Response:
        """Answer the authorization request of a completed flow with its code, once."""
        flow = self.find_flow(query_params(request).get("flowId", ""))
        if flow is None or not _resumable(flow, request):
            return platform_error(400, "REQUEST_FAILED", "The flow is unknown, not completed, "
                                  "already resumed, or the session cookie is missing.")
        grant = flow.grant
        code = self.ctx.store.issue_code(grant, flow.user.username if flow.user else "")
        if grant.response_mode == "pi.flow":
            return JSONResponse({"authorizeResponse": {"code": code, "state": grant.state}})
        return redirect_to(code_redirect_url(self.ctx, PINGONE, grant.redirect_uri, code,
                                             grant.state))


async def authorize_params(request: Request) -> dict[str, str]:
    """The query's parameters, joined on a POST by the form's (OIDC Core §3.1.2.1)."""
    params = query_params(request)
    if request.method == "POST":
        params.update(await read_form(request))
    return params


def _action_refusal(request: Request, flow: Flow) -> Response | None:
    """A 400 unless the body is the password check and the flow is waiting for one."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    if content_type == CHECK_TYPE and flow.status == PASSWORD_REQUIRED:
        return None
    return platform_error(400, "INVALID_REQUEST", f"The flow in status {flow.status} does not "
                          f"accept the content type {content_type!r}.")


def _resumable(flow: Flow, request: Request) -> bool:
    """Completed, not yet resumed, and asked for by the browser holding its session."""
    return flow.status == COMPLETED and flow.grant.code is None \
        and request.cookies.get(SESSION_COOKIE) == flow.session


def _authorize_error(ctx: SandboxContext, err: OAuthError, params: dict[str, str]) -> Response:
    """Unregistered redirect URIs and unknown clients get a platform error, not a redirect."""
    if err.redirect:
        return authorize_error(ctx, PINGONE, err, params)
    return invalid_data(err.target or "request", err.description)
