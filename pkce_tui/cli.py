"""The `pkce-tui` command: the TUI by default, headless subcommands for scripts.

The command line is a public contract (DESIGN.md §3). Exit codes: 0 success, 1 a step or check
failed, 2 bad usage or unreadable input. Expected failures print one line on stderr, never a
traceback. The TUI (and with it textual) is imported only when a TUI command runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pkce_tui import __version__, output
from pkce_tui.core.errors import InputError, NetworkError, PkceTuiError, ProtocolError
from pkce_tui.output import emit_json, one_line, print_error, silence_stdout

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
#: Options whose value may well begin with "-": verifiers, states and nonces are unreserved
#: characters (RFC 7636 §4.1, RFC 3986 §2.3), and secrets and passwords are anything.
DASH_VALUES = frozenset({"--verifier", "--state", "--nonce", "--client-secret", "--password",
                         "--username", "--access-token", "--audience"})


class UsageError(Exception):
    """A command line argparse refused; `line` is what argparse would print, on one line."""

    def __init__(self, line: str, message: str) -> None:
        super().__init__(line)
        self.line = line
        self.message = message


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 2 with one line, as argparse does, but name the command (and are
    JSON too with `--json`: `_run` reports them)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: error: {one_line(message)}", message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="pkce-tui", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"pkce-tui {__version__}")
    parser.add_argument("--profile", help="open the TUI on this saved profile")
    parser.add_argument("--insecure", action="store_true",
                        help="TUI: do not verify TLS certificates (a warning stays on screen)")
    parser.add_argument("--open", metavar="FILE", dest="open_path",
                        help="TUI: open a saved session or a browser's HAR export, read-only "
                             "until replayed")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    sub.add_parser("demo", help="start the sandbox and open the TUI on it, ready to run")
    _add_sandbox(sub)
    _add_pkce(sub)
    _add_parse_redirect(sub)
    _add_jwt(sub)
    _add_flow(sub)
    _add_check(sub)
    _add_har(sub)
    _add_export(sub)
    return parser


def _add_export(sub) -> None:
    p = sub.add_parser("export", help="a saved session as HAR 1.2 or a Markdown report")
    p.add_argument("session", help="the session file (pkce-tui flow --save FILE)")
    p.add_argument("--format", required=True, choices=("har", "markdown"))
    p.add_argument("-o", "--output", metavar="OUT", help="write here (default: stdout)")
    p.add_argument("--reveal", action="store_true",
                   help="keep the secrets of a session saved with --reveal (OUT is 0600)")


def build_sanitize_parser() -> argparse.ArgumentParser:
    """`pkce-tui har sanitize IN -o OUT [--json]` (DESIGN.md §3), beside `har FILE`."""
    p = _Parser(prog="pkce-tui har sanitize",
                description="write a HAR with every secret masked, still a valid HAR")
    p.add_argument("input", metavar="IN", help="the HAR file, or - for stdin")
    p.add_argument("-o", "--output", metavar="OUT", required=True, help="the sanitized HAR")
    p.add_argument("--json", action="store_true", help="report what was masked as JSON")
    return p


def _add_sandbox(sub) -> None:
    from pkce_tui.sandbox.faults import FAULTS

    epilog = "faults (authorize parameter sandbox_fault=NAME, or per client):\n" + "\n".join(
        f"  {name:<20} {description}" for name, description in FAULTS.items())
    p = sub.add_parser("sandbox", help="run the embedded authorization server",
                       epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    p.add_argument("--port", type=_port, default=0, help="port (default: a free one)")
    p.add_argument("--dialect", choices=("cyberark", "pingone", "cloudentity", "generic"),
                   help="serve only this dialect (default: all four)")
    p.add_argument("--key-file", help="RS256 signing key (PEM); created 0600 if missing")
    p.add_argument("--fault", action="append", default=[], metavar="CLIENT=FAULT",
                   help="a fault for every grant of one client (repeatable)")
    p.add_argument("--iss", action="append", default=[], metavar="DIALECT",
                   choices=("cyberark", "pingone", "cloudentity", "generic"),
                   help="send RFC 9207 iss in this dialect's authorization responses, off by "
                        "default except in generic (repeatable)")


def _add_pkce(sub) -> None:
    p = sub.add_parser("pkce", help="a code verifier and its challenge, step by step")
    p.add_argument("--verifier", help="check this verifier instead of generating one")
    p.add_argument("--method", choices=("S256", "plain"), default="S256")
    p.add_argument("--length", type=int, default=64, help="length of a generated verifier")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")


def _add_parse_redirect(sub) -> None:
    p = sub.add_parser("parse-redirect",
                       help="extract code/state/error from a redirect URL, response or page")
    p.add_argument("source", nargs="?", default="-",
                   help="a URL, a file, or - for stdin (URL, HTTP response or HTML page)")
    p.add_argument("--state", help="the state sent at authorize, to check")
    p.add_argument("--issuer", help="the expected issuer, to check iss (RFC 9207)")
    p.add_argument("--json", action="store_true")


def _add_jwt(sub) -> None:
    p = sub.add_parser("jwt", help="decode and validate a JWT")
    p.add_argument("token", nargs="?", default="-",
                   help="the token, or - for stdin (tokens up to 1 MiB; an argument is limited "
                        "by the system to about 128 KiB)")
    p.add_argument("--jwks", help="JWKS URL or file, to verify the signature")
    p.add_argument("--issuer")
    p.add_argument("--audience")
    p.add_argument("--nonce")
    p.add_argument("--access-token", help="to check at_hash")
    p.add_argument("--leeway", type=int, default=60, help="clock leeway in seconds")
    p.add_argument("--insecure", action="store_true", help="do not verify TLS for --jwks")
    p.add_argument("--timeout", type=_positive_seconds, default=10.0,
                   help="HTTP timeout in seconds for a --jwks URL")
    p.add_argument("--json", action="store_true")


def _add_flow(sub) -> None:
    add_flow_options(sub.add_parser("flow", help="run a whole authorization code flow headless"))


def _add_check(sub) -> None:
    add_flow_options(sub.add_parser(
        "check", help="pre-flight: the configuration against the tenant's metadata and its "
                      "answer to the authorize URL, before any browser opens"))


def add_flow_options(p: argparse.ArgumentParser) -> None:
    """`flow`'s options, which `check` takes too (DESIGN.md §3)."""
    target = p.add_argument_group("target")
    target.add_argument("--issuer", help="issuer URL (OIDC discovery)")
    target.add_argument("--dialect", choices=("generic", "cyberark", "pingone", "cloudentity"),
                        default="generic")
    for name in ("tenant-url", "app-id", "base-url", "env-id", "tenant", "workspace",
                 "authorize-endpoint", "token-endpoint", "jwks-uri", "userinfo-endpoint"):
        target.add_argument(f"--{name}")
    client = p.add_argument_group("client")
    client.add_argument("--client-id", required=True)
    client.add_argument("--client-secret")
    client.add_argument("--auth-method", default=None,
                        choices=("none", "client_secret_basic", "client_secret_post",
                                 "private_key_jwt"),
                        help="default: private_key_jwt with --client-key, "
                             "client_secret_basic with a secret, else none")
    client.add_argument("--client-key", metavar="FILE",
                        help="private_key_jwt: the client's private key, PEM or JWK (RFC 7523)")
    client.add_argument("--client-key-kid", metavar="KID",
                        help="the kid to name in the assertion (default: the key's own)")
    client.add_argument("--redirect-uri", default="http://127.0.0.1:8765/callback")
    client.add_argument("--scope", default="openid profile")
    request = p.add_argument_group("request")
    request.add_argument("--method", choices=("S256", "plain", "none"), default="S256")
    for name in ("verifier", "state", "nonce"):
        request.add_argument(f"--{name}")
    request.add_argument("--param", action="append", default=[], metavar="K=V",
                         help="extra authorize parameter (repeatable)")
    request.add_argument("--token-param", action="append", default=[], metavar="K=V",
                         help="extra or overriding token request field (repeatable)")
    login = p.add_argument_group("login")
    login.add_argument("--no-browser", action="store_true", help="print the URL, still listen")
    login.add_argument("--redirect-from", metavar="FILE|-",
                       help="read the redirect (URL, response or page) instead of listening")
    login.add_argument("--username")
    login.add_argument("--password")
    login.add_argument("--allow-cross-origin-login", action="store_true",
                       help="let a login form send the password to another origin than the "
                            "authorize URL's, or over plain http to a non-loopback host")
    _add_protocol_options(p)
    p.add_argument("--timeout", type=_positive_seconds, default=10.0,
                   help="HTTP timeout in seconds")
    p.add_argument("--insecure", action="store_true", help="do not verify TLS certificates")
    p.add_argument("--reveal", action="store_true",
                   help="show secrets and tokens in the output (and keep them in --save)")
    p.add_argument("--save", metavar="FILE",
                   help="write the session (configuration, steps, diagnosis, exchanges): "
                        "masked unless --reveal, then mode 0600")
    p.add_argument("--json", action="store_true")


def _add_har(sub) -> None:
    p = sub.add_parser("har", help="rebuild and diagnose the flow(s) in a browser's HAR export")
    p.add_argument("file", help="the HAR 1.2 file, or - for stdin")
    p.add_argument("--flow", type=_flow_index, metavar="N",
                   help="which flow when the HAR holds several (0-based, in time order; "
                        "default: the last one that got an answer)")
    p.add_argument("--jwks", help="JWKS URL or file to verify token signatures when the HAR "
                                  "holds none")
    p.add_argument("--reveal", action="store_true", help="show secrets in the JSON")
    p.add_argument("--json", action="store_true")


def _flow_index(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a flow number (0, 1, ...)")
    return int(text)


def _add_protocol_options(p: argparse.ArgumentParser) -> None:
    """The optional protocol steps (DESIGN.md §3), each off unless asked for."""
    extras = p.add_argument_group("protocol options (off by default)")
    extras.add_argument("--par", action="store_true",
                        help="push the authorization request first (RFC 9126)")
    extras.add_argument("--dpop", action="store_true",
                        help="bind the tokens to a key of this flow with DPoP proofs (RFC 9449)")
    extras.add_argument("--introspect", action="store_true",
                        help="introspect the access token (RFC 7662)")
    extras.add_argument("--revoke", action="store_true",
                        help="revoke the refresh token, else the access token (RFC 7009)")
    extras.add_argument("--logout", action="store_true",
                        help="RP-initiated logout with the ID token as id_token_hint")
    extras.add_argument("--post-logout-redirect-uri", metavar="URI",
                        help="where the provider sends the browser after --logout")


def _port(text: str) -> int:
    """A TCP port, 0 to 65535 (0: a free one)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not between 0 and 65535")
    return port


def _positive_seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < seconds <= 3600:
        raise argparse.ArgumentTypeError(f"{text!r} is not between 0 and 3600 seconds")
    return seconds


def main(argv: Sequence[str] | None = None) -> int:
    _without_httpx_command_line()
    try:
        return _run(argv)
    except BrokenPipeError:
        return _stdout_closed()


def _without_httpx_command_line() -> None:
    """Keep `import httpx` from loading httpx's own command-line tool (click, rich, pygments:
    a third of its import time). httpx falls back to a stub `main` when that import fails,
    and this program never calls it."""
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]


def _run(argv: Sequence[str] | None) -> int:
    """Parse and run the command; the project's own errors become one line and an exit code.

    Output is flushed here, so a reader that went away (`| head -1`) shows up as a
    BrokenPipeError here, not as a traceback at interpreter exit.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    as_json, emitted_before = "--json" in args, output.emitted_count()
    try:
        if args[:2] == ["har", "sanitize"]:
            from pkce_tui import sanitize_report

            return sanitize_report.run(build_sanitize_parser().parse_args(args[2:]))
        parser = build_parser()
        return _dispatch(parser.parse_args(with_dash_values(args, _option_names(parser))))
    except UsageError as exc:
        print(exc.line, file=sys.stderr)
        return _json_error(as_json, emitted_before, "usage", exc.message, EXIT_USAGE)
    except InputError as exc:
        print_error(str(exc))
        return _json_error(as_json, emitted_before, "input", str(exc), EXIT_USAGE)
    except PkceTuiError as exc:
        print_error(str(exc))
        return _json_error(as_json, emitted_before, _kind(exc), str(exc), EXIT_FAILED)
    except KeyboardInterrupt:
        return 130
    finally:
        sys.stdout.flush()


def with_dash_values(args: list[str], options: set[str]) -> list[str]:
    """`--verifier -abc` as `--verifier=-abc`: argparse takes a value that begins with "-"
    for an option and refuses the command line; a value that names an option stays one."""
    glued: list[str] = []
    for arg in args:
        previous = glued[-1] if glued else None
        if previous in DASH_VALUES and arg.startswith("-") and arg not in options | {"-"}:
            glued[-1] = f"{previous}={arg}"
        else:
            glued.append(arg)
    return glued


def _option_names(parser: argparse.ArgumentParser) -> set[str]:
    """Every option string of `parser` and of its subcommands."""
    names = set(parser._option_string_actions)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                names |= _option_names(sub)
    return names


def _json_error(as_json: bool, emitted_before: int, kind: str, message: str, code: int) -> int:
    """With `--json`, an error is a JSON document on stdout too (DESIGN.md §3), unless the
    command already wrote its document."""
    if as_json and output.emitted_count() == emitted_before:
        emit_json({"ok": False, "error": {"kind": kind, "message": message}})
    return code


def _kind(exc: PkceTuiError) -> str:
    """The `error.kind` of a failure that is not bad input: network, protocol, or error."""
    return {NetworkError: "network", ProtocolError: "protocol"}.get(type(exc), "error")


def _stdout_closed() -> int:
    """Exit quietly when the reader of stdout has gone."""
    silence_stdout()
    return EXIT_FAILED


def _dispatch(args: argparse.Namespace) -> int:
    if args.command in (None, "demo"):
        from pkce_tui import tui

        if args.command == "demo":
            return tui.run_demo()
        return tui.run_app(args.profile, insecure=args.insecure, open_path=args.open_path)
    # the headless commands' module (JWT, redirect parsing) loads only for them: not for the TUI
    from pkce_tui import commands

    if args.command == "sandbox":
        from pkce_tui.sandbox import run_foreground

        faults = commands.key_values(args.fault, "--fault")
        return run_foreground(args.host, args.port, args.dialect, args.key_file, faults,
                              tuple(args.iss))
    if args.command == "flow":
        from pkce_tui import headless

        return headless.run_flow(args)
    if args.command == "check":
        from pkce_tui.check_command import run_check

        return run_check(args)
    if args.command == "har":
        from pkce_tui import har_report

        return har_report.run(args)
    if args.command == "export":
        from pkce_tui import export_report

        return export_report.run(args)
    return getattr(commands, args.command.replace("-", "_"))(args)


if __name__ == "__main__":
    sys.exit(main())
