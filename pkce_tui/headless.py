"""`pkce-tui flow`: a whole flow without the TUI, for scripts and support tickets.

The redirect comes back through the loopback listener (RFC 8252 §7.3) after the browser is
opened with Python's `webbrowser` (so `$BROWSER` is honoured), from `--redirect-from`, from
stdin for a non-loopback redirect URI, or from the dialect's API login.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import threading
from urllib.parse import parse_qsl, urlsplit

from pkce_tui.commands import key_values, read_redirect_input, require_absolute_uri
from pkce_tui.core.client import new_client
from pkce_tui.core.client_assertion import load_client_key
from pkce_tui.core.errors import InputError, PkceTuiError
from pkce_tui.core.flow import INSECURE_WARNING, FlowConfig, FlowState, new_flow
from pkce_tui.core.loopback import LoopbackListener, is_loopback_redirect
from pkce_tui.core.redaction import Redactor, exchange_json, to_curl
from pkce_tui.core.runner import FlowRunner, RedirectSource
from pkce_tui.core.session import REVEALED_WARNING, save_session
from pkce_tui.core.transcript import Transcript
from pkce_tui.output import emit_json, one_line, print_error

LOGIN_TIMEOUT_S = 300.0
MARKS = {"ok": "ok  ", "warning": "warn", "error": "FAIL", "skipped": "skip"}


def run_flow(args: argparse.Namespace) -> int:
    """Run every step, print the result, exit 0 when the whole flow succeeded, else 1."""
    config = config_from_args(args)
    if config.insecure:
        print_error(f"warning: {INSECURE_WARNING}")
    transcript = Transcript()
    state = asyncio.run(_run(config, redirect_source_for(args, config), transcript))
    redactor = flow_redactor(state, transcript)
    document = flow_document(state, transcript, redactor, reveal=args.reveal)
    if args.save:
        save_session(args.save, state, transcript.exchanges, reveal=args.reveal)
        if args.reveal:
            print_error(f"warning: {REVEALED_WARNING}")
    if args.json:
        emit_json(document)
    else:
        print_flow(document)
    failed = [step for step in state.results.values() if step.status == "error"]
    for step in failed:
        print_error(f"{step.name}: {step.error if args.reveal else redactor.text(step.error)}")
    if any(step.data.get("bad_input") for step in failed):
        return 2
    return 0 if state.ok else 1


def flow_redactor(state: FlowState, transcript: Transcript) -> Redactor:
    """What masks this flow's outputs: every secret of the flow and of its transcript."""
    redactor = state.redactor()
    redactor.learn(_transcript_json(transcript))
    return redactor


def _transcript_json(transcript: Transcript) -> list[dict]:
    return [exchange_json(exchange) for exchange in transcript.exchanges]


def flow_document(state: FlowState, transcript: Transcript, redactor: Redactor, *,
                  reveal: bool) -> dict:
    """The `flow --json` document with the transcript: every exchange on the wire, each with
    its curl command; secrets masked unless `reveal`."""
    raw = {**state.raw_json(), "transcript": _transcript_json(transcript)}
    document = raw if reveal else redactor.redact(raw)
    for entry, exchange in zip(document["transcript"], transcript.exchanges, strict=True):
        entry["curl"] = to_curl(exchange.request, reveal=reveal, redactor=redactor)
    return document


async def _run(config: FlowConfig, source: RedirectSource, transcript: Transcript) -> FlowState:
    async with new_client(insecure=config.insecure, timeout=config.timeout,
                          event_hooks=transcript.event_hooks()) as client:
        runner = FlowRunner(client, redirect_source=source)
        return await runner.run_all(new_flow(config))


def config_from_args(args: argparse.Namespace) -> FlowConfig:
    """The flow's configuration from `flow`'s options; malformed ones are an InputError."""
    auth_method = args.auth_method or ("private_key_jwt" if args.client_key else
                                       "client_secret_basic" if args.client_secret else "none")
    return FlowConfig(
        dialect=args.dialect, issuer=args.issuer, tenant_url=args.tenant_url,
        app_id=args.app_id, base_url=args.base_url, env_id=args.env_id, tenant=args.tenant,
        workspace=args.workspace, authorize_endpoint=args.authorize_endpoint,
        token_endpoint=args.token_endpoint, jwks_uri=args.jwks_uri,
        userinfo_endpoint=args.userinfo_endpoint, client_id=args.client_id,
        client_secret=args.client_secret, auth_method=auth_method,
        redirect_uri=args.redirect_uri, scope=args.scope, method=args.method,
        verifier=args.verifier, state=args.state, nonce=args.nonce,
        extra_params=key_values(args.param, "--param"),
        token_params=key_values(args.token_param, "--token-param"),
        username=args.username, password=args.password, timeout=args.timeout,
        insecure=args.insecure,
        allow_cross_origin_login=args.allow_cross_origin_login,
        **protocol_options(args))


def protocol_options(args: argparse.Namespace) -> dict:
    """The optional steps `flow` was asked for (DESIGN.md §3); a post-logout redirect URI
    must be an absolute URI (RP-Initiated Logout 1.0 §2)."""
    uri = args.post_logout_redirect_uri
    if uri is not None:
        require_absolute_uri(uri, "--post-logout-redirect-uri")
    if args.client_key is not None:
        load_client_key(args.client_key, args.client_key_kid)  # a bad key file: exit 2 now
    elif args.auth_method == "private_key_jwt":
        raise InputError("--auth-method private_key_jwt needs --client-key FILE")
    return {"client_key": args.client_key, "client_key_kid": args.client_key_kid,
            "par": args.par, "dpop": args.dpop, "introspect": args.introspect,
            "revoke": args.revoke,
            "logout": args.logout or uri is not None, "post_logout_redirect_uri": uri}


def redirect_source_for(args: argparse.Namespace, config: FlowConfig) -> RedirectSource:
    """Where the redirect comes from: `--redirect-from`, else the loopback listener for a
    loopback redirect URI, else what the user pastes on stdin.

    A malformed redirect URI is bad input, unless the redirect is read from `--redirect-from`:
    then it is only sent, as a learner may send a wrong one on purpose.
    """
    if args.redirect_from:
        text = read_redirect_input(args.redirect_from)
        return _constant_source(text)
    _require_redirect_uri(config.redirect_uri)
    if is_loopback_redirect(config.redirect_uri):
        return _listener_source(config.redirect_uri, open_browser=not args.no_browser)
    return _stdin_source()


def _require_redirect_uri(uri: str) -> None:
    """RFC 6749 §3.1.2: the redirection endpoint is an absolute URI without a fragment."""
    if require_absolute_uri(uri, "--redirect-uri").fragment:
        raise InputError(f"--redirect-uri {uri!r} must not have a fragment (RFC 6749 §3.1.2)")


def _constant_source(text: str) -> RedirectSource:
    async def source(authorize_url: str) -> str:
        return text
    return source


def _listener_source(redirect_uri: str, *, open_browser: bool) -> RedirectSource:
    async def source(authorize_url: str) -> str:
        expected_state = _state_in(authorize_url)
        async with LoopbackListener(redirect_uri, expected_state=expected_state,
                                    timeout=LOGIN_TIMEOUT_S) as listener:
            print(f"Log in at: {one_line(authorize_url)}", file=sys.stderr)
            callback = asyncio.ensure_future(listener.wait())
            if open_browser:
                await _unless_the_browser_fails(open_in_background(authorize_url), callback)
            return await callback
    return source


def _state_in(authorize_url: str) -> str | None:
    """The URL's `state`; a pushed request's URL (RFC 9126 §4) carries none, so the listener
    takes any, and the redirect step checks it against the state that was pushed."""
    return dict(parse_qsl(urlsplit(authorize_url).query)).get("state")


async def _unless_the_browser_fails(opened: asyncio.Future, callback: asyncio.Future) -> None:
    """Stop waiting when the browser command failed and nobody is at a terminal to open the
    URL by hand; at a terminal, say so and keep listening."""
    await asyncio.wait({opened, callback}, return_when=asyncio.FIRST_COMPLETED)
    if callback.done() or opened.result():
        return
    if sys.stdin.isatty():
        print_error("the browser could not be opened: open the URL above yourself")
        return
    callback.cancel()
    raise PkceTuiError("the browser command failed ($BROWSER or the system browser) and no "
                     "terminal is attached: use --redirect-from, or --no-browser at a terminal")


def open_in_background(url: str) -> asyncio.Future:
    """Open `url` in the browser on a daemon thread; the future says whether it worked.

    The browser command may block until it exits: neither the listener nor the program's exit
    may wait for it.
    """
    loop = asyncio.get_running_loop()
    opened = loop.create_future()

    def report(ok: bool) -> None:
        if not opened.done():
            opened.set_result(ok)

    def target() -> None:
        import webbrowser  # loaded when a browser is opened, not by every headless command

        ok = webbrowser.open(url)
        with contextlib.suppress(RuntimeError):  # the flow may be over and its loop closed
            loop.call_soon_threadsafe(report, ok)

    threading.Thread(target=target, daemon=True).start()
    return opened


def _stdin_source() -> RedirectSource:
    async def source(authorize_url: str) -> str:
        print(f"Log in at: {one_line(authorize_url)}\nThen paste the redirect URL (or the "
              "page) and press ctrl+d:", file=sys.stderr)
        text = await asyncio.to_thread(read_redirect_input, "-")
        if not text.strip():
            raise InputError("nothing was pasted: expected the redirect URL or page")
        return text
    return source


def print_flow(document: dict) -> None:
    """The flow as text, from its (masked) JSON document: a line per step, then the diagnosis."""
    for step in document["steps"]:
        print(f"[{MARKS.get(step['status'], step['status'])}] {step['step']:<13} "
              f"{one_line(step['summary'])}")
    for diagnosis in document["diagnosis"]:
        print(f"\n{diagnosis['severity']}: {diagnosis['id']} ({diagnosis['step']}): "
              f"{one_line(diagnosis['summary'])}")
        print(f"  fix: {one_line(diagnosis['fix'])}")
