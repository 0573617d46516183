"""HTML forms read as a browser submits them: hidden fields, checkboxes, selects, actions."""

from pathlib import Path

from pkce_tui.core.htmlform import Form, parse_form

LOGIN_PAGE = (Path(__file__).parent / "data" / "login_page.html").read_text()
def test_parse_form_keeps_hidden_fields_and_resolves_the_action():
    form = parse_form(LOGIN_PAGE, "http://127.0.0.1:9000/cyberark/login?cloudRedirect=a")
    assert form.method == "post"
    assert form.action == (
        "http://127.0.0.1:9000/login?cloudRedirect=Oauth2%2FAuthorize%2Fdemo-app&x=1"
    )
    assert form.fields == (
        ("flowId", "f-1"), ("username", ""), ("password", ""), ("terms", "on"),
        ("lang", "fr"), ("note", "hi"), ("action", "signin"),
    )
    assert form.asks_password


def test_parse_form_prefers_the_login_form_and_defaults_to_get_on_the_page_url():
    page = '<form action="/search"><input name="q"></form><form><input name="password"></form>'
    form = parse_form(page, "http://127.0.0.1:9000/signon/?flowId=1")
    assert (form.method, form.action) == ("get", "http://127.0.0.1:9000/signon/?flowId=1")
    assert form.fields == (("password", ""),)


def test_parse_form_on_a_page_without_form_is_none():
    assert parse_form("<p>Sorry, an error occurred</p>", "http://127.0.0.1/") is None


def test_fill_credentials_sets_only_username_and_password():
    form = Form("post", "http://127.0.0.1/l", (("username", ""), ("password", ""),
                                               ("flowId", "f")), password_field="password")
    filled = form.filled("alice", "pass")
    assert filled.fields == (("username", "alice"), ("password", "pass"), ("flowId", "f"))


def test_a_post_form_becomes_an_urlencoded_request():
    request = parse_form(LOGIN_PAGE, "http://127.0.0.1:9000/x").filled("alice", "p&ss").request()
    assert request.method == "POST"
    assert "username=alice&password=p%26ss" in request.body
    assert request.header("Content-Type") == "application/x-www-form-urlencoded"


def test_a_get_form_puts_its_fields_in_the_query():
    page = '<form action="/find?old=1"><input name="q" value="a b"></form>'
    request = parse_form(page, "http://127.0.0.1:9000/").request()
    assert (request.method, request.url) == ("GET", "http://127.0.0.1:9000/find?q=a+b")


def test_the_username_field_is_found_by_its_usual_names():
    page = '<form method=post><input name=email><input type=password name=pw></form>'
    filled = parse_form(page, "http://h/").filled("alice", "pass")
    assert filled.fields == (("email", "alice"), ("pw", "pass"))
