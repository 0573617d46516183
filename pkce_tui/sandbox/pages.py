"""The HTML the sandbox serves: plain login forms and ASP.NET's "Object moved" page.

Forms are deliberately plain (`<form method="post">` with `username` and `password` inputs)
so a script or a stand-in browser can fill them as a person would.
"""

from __future__ import annotations

import json
from html import escape
from urllib.parse import quote

from starlette.responses import HTMLResponse, Response

HTML_TYPE = "text/html; charset=utf-8"
#: What a Location keeps as it is; the rest is percent-encoded, as Starlette's
#: RedirectResponse (the other dialects' redirects) does it.
LOCATION_SAFE = ":/%#?=@[]!$&'()*+,;"


def login_page(title: str, action: str, hidden: dict[str, str], *, error: str | None = None,
               username: str = "", status: int = 200) -> HTMLResponse:
    """A sign-in form posting to `action`; `error` is shown above it after a failed try."""
    fields = "\n".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, value in hidden.items()
    )
    notice = f'<p class="error" role="alert">{escape(error)}</p>\n' if error else ""
    body = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title></head>
<body>
<h1>{escape(title)}</h1>
{notice}<form method="post" action="{escape(action)}">
{fields}
<p><label>Username <input name="username" value="{escape(username)}" autofocus></label></p>
<p><label>Password <input type="password" name="password"></label></p>
<p><button type="submit">Sign in</button></p>
</form>
<p>pkce-tui sandbox: sign in as <code>alice</code> with password <code>pass</code>.</p>
</body></html>
"""
    return HTMLResponse(body, status_code=status)


def message_page(title: str, message: str, status: int) -> HTMLResponse:
    """A short page for a request the sandbox cannot go on with, e.g. an expired login."""
    body = (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
            f"{escape(title)}</title></head>\n<body><h1>{escape(title)}</h1>\n"
            f"<p>{escape(message)}</p></body></html>\n")
    return HTMLResponse(body, status_code=status)


def oidc_error_page(error: str, description: str, status: int) -> HTMLResponse:
    """The page an OpenID provider shows when it will not redirect (RFC 6749 §4.1.2.1), in
    the shape of panva's oidc-provider: the error and its description, labelled."""
    body = ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>oops! something went "
            "wrong</title></head>\n<body><div><h1>oops! something went wrong</h1>\n<pre>"
            f"<strong>error</strong>: {escape(error)}\n<strong>error_description</strong>: "
            f"{escape(description)}</pre></div></body></html>\n")
    return HTMLResponse(body, status_code=status)


def json_error_page(title: str, error: dict, status: int) -> HTMLResponse:
    """An error page that carries the error object as JSON in a `<pre>` (Cloudentity's hosted
    error page shows it so a support ticket can quote it)."""
    shown = escape(json.dumps(error, indent=2))
    body = (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
            f"{escape(title)}</title></head>\n<body><h1>{escape(title)}</h1>\n"
            f"<p>The request could not be processed.</p>\n<pre>{shown}</pre></body></html>\n")
    return HTMLResponse(body, status_code=status)


def html_attribute_encode(value: str) -> str:
    """What ASP.NET's HttpUtility.HtmlAttributeEncode does to an href: & " < and ' escaped."""
    return (value.replace("&", "&amp;").replace('"', "&quot;")
            .replace("<", "&lt;").replace("'", "&#39;"))


def object_moved_page(location: str) -> str:
    """The body ASP.NET's Response.Redirect writes: three lines, each ending CRLF."""
    return (
        "<html><head><title>Object moved</title></head><body>\r\n"
        f'<h2>Object moved to <a href="{html_attribute_encode(location)}">here</a>.</h2>\r\n'
        "</body></html>\r\n"
    )


def object_moved(location: str, headers: dict[str, str] | None = None) -> Response:
    """A 302 to `location` with the "Object moved" page, as CyberArk (IIS) sends it.

    Spaces, control and non-ASCII characters are percent-encoded, so no value can end the
    Location header early (a CR/LF would) or slip another header in.
    """
    location = quote(location, safe=LOCATION_SAFE)
    response = Response(object_moved_page(location).encode("utf-8"), status_code=302,
                        headers={"Location": location, **(headers or {})})
    response.headers["Content-Type"] = HTML_TYPE
    return response
