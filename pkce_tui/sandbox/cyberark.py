"""CyberArk Identity: the /Security login API, the .ASPXAUTH session, and authorize answering
with ASP.NET's 302 "Object moved" pages (DIALECTS.md, CyberArk)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pkce_tui.sandbox.context import SandboxContext
from pkce_tui.sandbox.dialects import CYBERARK
from pkce_tui.sandbox.directory import (
    USERS,
    VISIBLE_ASCII,
    User,
    check_password,
    post_logout_uri_allowed,
)
from pkce_tui.sandbox.endpoints import CommonRoutes, oauth_errors
from pkce_tui.sandbox.oauth import OAuthError, authorize_request
from pkce_tui.sandbox.pages import login_page, message_page, object_moved
from pkce_tui.sandbox.store import Grant, new_id
from pkce_tui.sandbox.web import (
    authorize_error,
    code_redirect_url,
    query_params,
    read_form,
    read_json_object,
    with_query,
)

TENANT_ID = "ABC1234"
SESSION_COOKIE = ".ASPXAUTH"
COOKIE_PATH = "/cyberark"
SECOND_FACTOR_CODE = "123456"
FAILED = "Authentication (login or challenge) has failed. Please try again or contact your " \
         "system administrator."
LOGIN_PATH = "/cyberark/login"
LOGIN_TITLE = "CyberArk Identity sandbox"
AUTHORIZE_PATH = CYBERARK.path("authorization_endpoint")
END_SESSION_PATH = CYBERARK.path("end_session_endpoint")
MECHANISM_PROMPTS = {
    "UP": ("Text", "Password", "Enter Password"),
    "OTP": ("Text", "Mobile Authenticator", "Enter the code from your authenticator app"),
    "EMAIL": ("StartOob", "Email... @example.test", "We sent you an email"),
}


@dataclass
class AuthSession:
    """A Start/AdvanceAuthentication attempt: the challenge levels and how far it got."""

    user: User
    levels: list[list[dict]]
    level: int = 0


def envelope(success: bool, result: dict | None, message: str | None = None) -> JSONResponse:
    """CyberArk's JSON envelope; failures are HTTP 200 with success false."""
    return JSONResponse({
        "success": success, "Result": result, "Message": message, "MessageID": None,
        "Exception": None, "ErrorID": None, "ErrorCode": None, "IsSoftError": False,
        "InnerExceptions": None,
    })


def mechanism(name: str) -> dict:
    answer_type, select, chosen = MECHANISM_PROMPTS[name]
    return {"AnswerType": answer_type, "Name": name, "PromptMechChosen": chosen,
            "PromptSelectMech": select, "MechanismId": new_id(16), "Enrolled": True}


def challenge_levels(user: User) -> list[list[dict]]:
    """A password level, then a second-factor level for users who have one."""
    levels = [[mechanism("UP")]]
    if user.second_factor:
        levels.append([mechanism(name) for name in user.second_factor])
    return levels


def session_cookie(session: str) -> str:
    return f"{SESSION_COOKIE}={session}; path={COOKIE_PATH}; HttpOnly; SameSite=Lax"


class CyberArkRoutes:
    """The CyberArk tenant at /cyberark with the OIDC app `demo-app`."""

    def __init__(self, ctx: SandboxContext):
        self.ctx = ctx

    def routes(self) -> list[Route]:
        return [
            Route("/cyberark/Security/StartAuthentication", self.start_authentication,
                  methods=["POST"]),
            Route("/cyberark/Security/AdvanceAuthentication", self.advance_authentication,
                  methods=["POST"]),
            Route("/cyberark/Security/Whoami", oauth_errors(CYBERARK, self.whoami),
                  methods=["GET", "POST"]),
            Route(AUTHORIZE_PATH, oauth_errors(CYBERARK, self.authorize)),
            Route(END_SESSION_PATH, oauth_errors(CYBERARK, self.end_session)),
            Route(LOGIN_PATH, oauth_errors(CYBERARK, self.login_form)),
            Route(LOGIN_PATH, oauth_errors(CYBERARK, self.login_submit), methods=["POST"]),
            *CommonRoutes(self.ctx, CYBERARK).routes(),
        ]

    def signed_in_user(self, request: Request) -> str | None:
        """The session's user, from the .ASPXAUTH cookie or the login API's bearer Token."""
        session = request.cookies.get(SESSION_COOKIE) or _bearer(request)
        return self.ctx.store.session_user("cyberark", session)

    async def start_authentication(self, request: Request) -> Response:
        """Begin a login for a known user: the challenge levels it must pass."""
        body = await read_json_object(request)
        refusal = _refusal(request, body)
        user = USERS.get(str((body or {}).get("User", "")))
        if refusal or user is None:
            return envelope(False, {"Summary": "Undefined"}, refusal or FAILED)
        auth = AuthSession(user, challenge_levels(user))
        session_id = new_id(16)
        self.ctx.store.add_login(session_id, auth)
        return _new_package(session_id, auth)

    async def advance_authentication(self, request: Request) -> Response:
        """Answer one challenge level; past the last one, the login succeeds with a session."""
        body = await read_json_object(request) or {}
        refusal = _refusal(request, body)
        session_id = str(body.get("SessionId", ""))
        auth = self.ctx.store.logins.get(session_id)
        if refusal or not isinstance(auth, AuthSession) or not _answer_ok(auth, body):
            self.ctx.store.logins.pop(session_id, None)
            return envelope(False, {"Summary": "Failure"}, refusal or FAILED)
        auth.level += 1
        if auth.level < len(auth.levels):
            return envelope(True, {"Summary": "StartNextChallenge"})
        del self.ctx.store.logins[session_id]
        return _login_success(self.ctx.store.start_session("cyberark", auth.user.username), auth)

    async def whoami(self, request: Request) -> Response:
        """Who the session or the access token belongs to."""
        username = self.signed_in_user(request) or self.access_token_user(request)
        if username is None:
            return envelope(False, None, "Not authenticated")
        return envelope(True, {"TenantId": TENANT_ID, "User": f"{username}@demo.example.test"})

    def access_token_user(self, request: Request) -> str | None:
        grant = self.ctx.store.grant_for_access_token(_bearer(request) or "")
        return grant.user if grant is not None and grant.dialect == "cyberark" else None

    async def authorize(self, request: Request) -> Response:
        """Code for a signed-in browser, else off to the login page, bouncing back after."""
        params = query_params(request)
        try:
            grant = self.grant_for(params)
        except OAuthError as err:
            return self.authorize_error(err, params)
        user = self.signed_in_user(request)
        if user is not None:
            return self.code_moved(grant, user)
        if params.get("prompt") == "none":
            err = OAuthError("login_required", "prompt=none, but there is no session")
            return self.authorize_error(err, {**params, "redirect_uri": grant.redirect_uri})
        return object_moved(_login_location(grant))

    def authorize_error(self, err: OAuthError, params: dict[str, str]) -> Response:
        return authorize_error(self.ctx, CYBERARK, err, params, moved=object_moved)

    def code_moved(self, grant: Grant, user: str) -> Response:
        """The "Object moved" page sending the browser to the client with a new code."""
        code = self.ctx.store.issue_code(grant, user)
        return object_moved(code_redirect_url(self.ctx, CYBERARK, grant.redirect_uri, code,
                                              grant.state))

    def grant_for(self, params: dict[str, str]) -> Grant:
        """The pending grant a login bounces back to, else a new one from the request."""
        grant = self.ctx.store.pending(params.get("bounce", ""))
        if grant is not None:
            return grant
        return self.ctx.store.add_grant(authorize_request(self.ctx, CYBERARK, params))

    async def end_session(self, request: Request) -> Response:
        """Sign the browser out (OIDC RP-Initiated Logout §2): end its session, clear
        .ASPXAUTH, and go back to `post_logout_redirect_uri` when it is registered; any other
        target is not followed, and a short page says the user is signed out."""
        params = query_params(request)
        self.ctx.store.end_session("cyberark", request.cookies.get(SESSION_COOKIE))
        target = params.get("post_logout_redirect_uri", "")
        if post_logout_uri_allowed(target):
            state = params.get("state")
            response = object_moved(with_query(target, [("state", state)]) if state else target)
        else:
            response = message_page("Signed out", "You are signed out of the CyberArk "
                                    "Identity sandbox.", status=200)
        response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH, httponly=True, samesite="lax")
        return response

    async def login_form(self, request: Request) -> Response:
        target = query_params(request).get("cloudRedirect", "")
        return login_page(LOGIN_TITLE, LOGIN_PATH, {"cloudRedirect": target})

    async def login_submit(self, request: Request) -> Response:
        """The posted login form: a right password starts a session and goes back to authorize."""
        form = await read_form(request)
        target = form.get("cloudRedirect", "")
        if not _is_authorize_path(target):
            return message_page("Bad request", "cloudRedirect must be an OAuth2/Authorize "
                                "path of this tenant, without spaces or control characters.",
                                status=400)
        user = check_password(form.get("username", ""), form.get("password", ""))
        if user is None:
            return login_page(LOGIN_TITLE, LOGIN_PATH, {"cloudRedirect": target},
                              error=FAILED, username=form.get("username", ""))
        session = self.ctx.store.start_session("cyberark", user.username)
        return object_moved(f"/cyberark/{target}", {"Set-Cookie": session_cookie(session)})


def _new_package(session_id: str, auth: AuthSession) -> Response:
    """StartAuthentication's answer: the login's id and every challenge level."""
    return envelope(True, {
        "SessionId": session_id, "Challenges": [{"Mechanisms": m} for m in auth.levels],
        "Summary": "NewPackage", "TenantId": TENANT_ID, "Version": "1.0",
    })


def _is_authorize_path(target: str) -> bool:
    """Whether the login may send the browser to `target`: only this tenant's authorize, as
    URI text (no spaces or control characters, which could not go into the Location)."""
    return target.lower().startswith("oauth2/authorize/") and "//" not in target \
        and VISIBLE_ASCII.fullmatch(target) is not None


def _refusal(request: Request, body: dict | None) -> str | None:
    """Why a /Security call is refused before its content is looked at, if it is."""
    if request.headers.get("x-idap-native-client", "").lower() != "true":
        return "The X-IDAP-NATIVE-CLIENT: true header is required for this API."
    if body is None:
        return "The request body must be a JSON object."
    return None


def _answer_ok(auth: AuthSession, body: dict) -> bool:
    """Whether the answer passes a mechanism of the current level."""
    chosen = [m for m in auth.levels[auth.level] if m["MechanismId"] == body.get("MechanismId")]
    if not chosen or body.get("Action") != "Answer":
        return False
    answer = str(body.get("Answer", ""))
    if chosen[0]["Name"] == "UP":
        return check_password(auth.user.username, answer) is not None
    return answer == SECOND_FACTOR_CODE


def _login_success(session: str, auth: AuthSession) -> Response:
    response = envelope(True, {
        "AuthLevel": "Normal", "DisplayName": auth.user.name, "Auth": session, "Token": session,
        "User": auth.user.username, "UserId": auth.user.username, "EmailAddress": auth.user.email,
        "PodFqdn": "sandbox.example.test", "CustomerID": TENANT_ID, "Summary": "LoginSuccess",
    })
    response.headers["Set-Cookie"] = session_cookie(session)
    return response


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def _login_location(grant: Grant) -> str:
    """Where IIS sends a browser without a session: the login page, bouncing back after."""
    bounce = f"Oauth2/Authorize/demo-app?bounce={grant.id}"
    return f"{LOGIN_PATH}?cloudRedirect={quote(bounce, safe='')}"

