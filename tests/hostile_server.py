"""A lying server on loopback: the answers an attacker or a broken tenant would send.

The first path segment picks the behaviour, whatever follows it, so one mode serves discovery
(`/MODE/.well-known/openid-configuration`), a JWKS (`/MODE/jwks`) and a token endpoint
(`/MODE/token`) alike. `/ok/...` answers like a plain, working provider. A second server
speaks TLS with a self-signed certificate.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import struct
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from local_http import running

#: The child's own peak: /proc's VmHWM belongs to this process image, while ru_maxrss keeps
#: the peak of the pytest process the child was forked from.
PEAK = """
def peak_mib():
    try:
        with open("/proc/self/status") as status:
            line = next(l for l in status if l.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024
    except OSError:
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""
BOMB_MIB = 512  # what the bombs expand to; far past any cap, cheap to build
MODES = ("gzip", "gzip2", "gzip3", "deflate_bomb", "trickle", "endless", "html5xx", "truncated",
         "redirect", "jwks10k", "badcharset")


@cache
def zeros_gzip(mib: int = BOMB_MIB) -> bytes:
    """A valid gzip member of `mib` MiB of zeros, built without compressing it all: once the
    window is full of zeros, each further MiB compresses to the same flushed bytes."""
    zero = bytes(1 << 20)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = deflate.compress(zero) + deflate.flush(zlib.Z_SYNC_FLUSH)
    repeat = deflate.compress(zero) + deflate.flush(zlib.Z_SYNC_FLUSH)
    body = first + repeat * (mib - 1) + deflate.flush()
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(zero, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    return header + body + struct.pack("<II", crc, (mib << 20) & 0xFFFFFFFF)


def gzip_of(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return packer.compress(data) + packer.flush()


@cache
def bomb(layers: int) -> bytes:
    body = zeros_gzip()
    for _ in range(layers - 1):
        body = gzip_of(body)
    return body


@cache
def jwks_of_10000_keys() -> bytes:
    """10,000 EC keys (one public key under 10,000 kids): 1.3 MB, under the body cap."""
    key = {"kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
           "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0", "use": "sig", "alg": "ES256"}
    return json.dumps({"keys": [{**key, "kid": f"k{i}"} for i in range(10_000)]}).encode()


class HostileHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        self.answer()

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(min(length, 1 << 20))
        self.answer()

    def answer(self) -> None:
        mode = self.path.strip("/").split("/")[0]
        try:
            getattr(self, f"mode_{mode}", self.mode_ok)()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            pass  # the client gave up: what a bounded client does

    def send(self, status: int, body: bytes, *headers: tuple[str, str],
             content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def mode_ok(self) -> None:
        base = f"{self.scheme}://{self.headers['Host']}/ok"
        self.send(200, json.dumps({
            "issuer": base, "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token", "jwks_uri": f"{base}/jwks",
            "response_types_supported": ["code"], "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"]}).encode())

    scheme = "http"

    def mode_gzip(self) -> None:
        self.send(200, bomb(1), ("Content-Encoding", "gzip"))

    def mode_gzip2(self) -> None:
        self.send(200, bomb(2), ("Content-Encoding", "gzip, gzip"))

    def mode_gzip3(self) -> None:
        self.send(200, bomb(3), ("Content-Encoding", "gzip, gzip, gzip"))

    def mode_deflate_bomb(self) -> None:
        raw = zeros_gzip()[10:-8]  # the member's raw deflate data
        self.send(200, raw, ("Content-Encoding", "deflate"))

    def mode_trickle(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "1000000")
        self.end_headers()
        for _ in range(1_000_000):
            self.wfile.write(b" ")
            self.wfile.flush()
            time.sleep(0.05)

    def mode_endless(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"[" * 65536
        frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        while True:
            self.wfile.write(frame)

    def mode_html5xx(self) -> None:
        page = b"<html><body><h1>503 Service Unavailable</h1><p>try later</p></body></html>"
        self.send(503, page, content_type="text/html")

    def mode_truncated(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "5000")
        self.end_headers()
        self.wfile.write(b'{"issuer": "http://127.0.0.1/ok", "keys": [{"kty": "RS')
        self.close_connection = True

    def mode_redirect(self) -> None:
        self.send(307, b"", ("Location", f"http://{self.headers['Host']}/redirect/again"))

    def mode_jwks10k(self) -> None:
        self.send(200, jwks_of_10000_keys())

    def mode_badcharset(self) -> None:
        self.send(200, b'{"keys": []}', content_type="application/json; charset=rot13")

    def log_message(self, *args: object) -> None:
        pass


class TlsHandler(HostileHandler):
    scheme = "https"


@contextmanager
def hostile_server(tls_dir: Path | None = None) -> Iterator[str]:
    """Serve the modes on a free loopback port (TLS with a self-signed certificate when
    `tls_dir` is given, where the key and certificate are written); yield the base URL."""
    handler = TlsHandler if tls_dir else HostileHandler
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    if tls_dir is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*self_signed_certificate(tls_dir))
        server.socket = context.wrap_socket(server.socket, server_side=True)
    with running(server, handler.scheme) as base_url:
        yield base_url


def self_signed_certificate(directory: Path) -> tuple[str, str]:
    """A certificate for 127.0.0.1 that no one vouches for, and its key (PEM files)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName(
                       [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)
