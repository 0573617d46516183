"""HTML forms as a browser would submit them: parsed by WHATWG rules (see `html_page`).

The login drivers and the test suite's stand-in browser both fill login pages this way. Server
HTML is only parsed, never rendered or executed (DESIGN.md §7).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

from pkce_tui.core import urls
from pkce_tui.core.errors import ProtocolError
from pkce_tui.core.html_page import parse_html
from pkce_tui.core.http import HttpRequest

UNSENT_INPUT_TYPES = frozenset({"submit", "button", "image", "reset", "file"})
USERNAME_NAMES = ("username", "user", "login", "email")


@dataclass(frozen=True)
class Form:
    """A form as it would be submitted: method, absolute action URL, fields in page order."""

    method: str
    action: str
    fields: tuple[tuple[str, str], ...]
    password_field: str | None = None

    @property
    def asks_password(self) -> bool:
        return self.password_field is not None

    def filled(self, username: str, password: str) -> Form:
        """The form with its username and password fields set, other fields as the page set."""
        names = {name for name, _ in self.fields}
        user_field = next((n for n in USERNAME_NAMES if n in names), None)
        given = {user_field: username, self.password_field: password}
        fields = tuple((name, given.get(name, value)) for name, value in self.fields)
        return Form(self.method, self.action, fields, self.password_field)

    def request(self) -> HttpRequest:
        """The request a browser makes when the form is submitted (HTML §4.10.21.3)."""
        if self.method == "post":
            return HttpRequest("POST", self.action, form=self.fields)
        parts = urlsplit(self.action)
        query = urlencode(self.fields)
        return HttpRequest("GET", urlunsplit((parts.scheme, parts.netloc, parts.path, query, "")))


def _tags(root, *names: str) -> list:
    return [element for element in root.iter() if element.tag in names]


def _input_value(element) -> tuple[str, str] | None:
    """The (name, value) an <input> contributes to a submission, or None when it sends none."""
    name = element.get("name")
    kind = (element.get("type") or "text").lower()
    if not name or kind in UNSENT_INPUT_TYPES:
        return None
    if kind in ("checkbox", "radio") and element.get("checked") is None:
        return None
    default = "on" if kind in ("checkbox", "radio") else ""
    return name, element.get("value", default)


def _select_value(element) -> tuple[str, str] | None:
    """The (name, value) of a <select>: its selected option, else its first option."""
    name = element.get("name")
    options = list(element.iter("option"))
    chosen = [option for option in options if option.get("selected") is not None] or options
    if not name or not chosen:
        return None
    return name, chosen[0].get("value", chosen[0].text or "")


def _submit_button_value(form_element) -> tuple[tuple[str, str], ...]:
    """The name/value of the first named submit button, as a click on it would send."""
    for element in _tags(form_element, "button", "input"):
        kind = (element.get("type") or ("submit" if element.tag == "button" else "text")).lower()
        if kind == "submit" and element.get("name"):
            return ((element.get("name"), element.get("value", "")),)
    return ()


def _form_fields(form_element) -> tuple[tuple[str, str], ...]:
    """Every field the form sends, in page order, hidden ones included."""
    fields = []
    for element in _tags(form_element, "input", "select", "textarea"):
        if element.tag == "input":
            field = _input_value(element)
        elif element.tag == "select":
            field = _select_value(element)
        else:
            field = (element.get("name"), element.text or "") if element.get("name") else None
        if field is not None:
            fields.append(field)
    return tuple(fields) + _submit_button_value(form_element)


def _password_field(form_element) -> str | None:
    """The name of the input that takes the password: type=password, or named password."""
    for element in form_element.iter("input"):
        name = element.get("name")
        if name and ((element.get("type") or "").lower() == "password" or name == "password"):
            return name
    return None


def parse_form(html: str, page_url: str) -> Form | None:
    """The form to submit on a page: the login form (a password input) when there is one,
    else the first form; its action resolved against the page URL. A page too costly to
    parse is the server's fault: a `ProtocolError`."""
    document = parse_html(html, what="login page", error=ProtocolError)
    forms = list(document.iter("form"))
    form_element = next((f for f in forms if _password_field(f)), forms[0] if forms else None)
    if form_element is None:
        return None
    method = "post" if (form_element.get("method") or "get").lower() == "post" else "get"
    action = urls.join(page_url, form_element.get("action") or page_url)
    if action is None:
        raise ProtocolError(f"the login form's action {form_element.get('action')!r} is not a "
                            "valid URL")
    return Form(method, action, _form_fields(form_element), _password_field(form_element))
