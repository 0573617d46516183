"""Runs the pre-flight (`pkce-tui check`): discovery, the metadata checks, the authorize probe.

No browser, no login, no cookie: the discovery document is fetched (for a dialect, at its
issuer's well-known path), compared with the configuration (`preflight.metadata_checks`), and
the authorization URL the flow would open is requested once, its redirect not followed
(`preflight.read_probe`). Each failed check becomes a diagnosis (DESIGN.md §6).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import httpx

from pkce_tui.core import providers
from pkce_tui.core.authorize import AuthorizeRequest, new_nonce, new_state
from pkce_tui.core.checks import Check, all_passed
from pkce_tui.core.client import send
from pkce_tui.core.diagnosis import tenant
from pkce_tui.core.diagnosis.model import RETRY, Diagnosis
from pkce_tui.core.errors import NetworkError, ProtocolError
from pkce_tui.core.flow import FlowConfig
from pkce_tui.core.http import Exchange, HttpRequest, HttpResponse
from pkce_tui.core.pkce import generate_verifier, make_challenge
from pkce_tui.core.preflight import (
    PROBE_CHECK,
    check_diagnosis,
    metadata_checks,
    probe_diagnoses,
    read_probe,
)

_SEVERITY = {"error": 0, "warning": 1, "info": 2}
#: The probe's exchange as a transcript names it, beside the flow's own authorize request.
PROBE_LABEL = "authorize probe"


@dataclass(frozen=True)
class PreflightReport:
    """The checks made, in order, and the diagnoses the failed ones stand for."""

    checks: tuple[Check, ...]
    diagnosis: tuple[Diagnosis, ...]

    @property
    def ok(self) -> bool:
        return all_passed(self.checks)

    def to_json(self) -> dict:
        """The `check --json` document (DESIGN.md §3)."""
        return {"ok": self.ok, "checks": [c.to_json() for c in self.checks],
                "diagnosis": [d.to_json() for d in self.diagnosis]}


class _Report:
    """Checks and diagnoses as they are found; each id kept once, the graver one winning."""

    def __init__(self) -> None:
        self.checks: list[Check] = []
        self.found: dict[str, Diagnosis] = {}

    def add(self, check: Check, *diagnoses: Diagnosis | None) -> None:
        self.checks.append(check)
        for diagnosis in diagnoses:
            kept = self.found.get(diagnosis.id) if diagnosis else None
            if diagnosis and (kept is None or
                              _SEVERITY[diagnosis.severity] < _SEVERITY[kept.severity]):
                self.found[diagnosis.id] = diagnosis

    def done(self) -> PreflightReport:
        return PreflightReport(tuple(self.checks), tuple(self.found.values()))


async def run_preflight(client: httpx.AsyncClient, config: FlowConfig) -> PreflightReport:
    """Every pre-flight check of `config`; network trouble is a failed check, never raised."""
    report = _Report()
    endpoints = await _discover(client, config, report)
    if endpoints is not None:
        await _probe(client, config, endpoints, report)
    return report.done()


async def _discover(client: httpx.AsyncClient, config: FlowConfig,
                    report: _Report) -> providers.Endpoints | None:
    """The endpoints, and the checks of the published metadata when there is a document."""
    if config.authorize_endpoint or config.token_endpoint:
        report.add(Check("discovery", None, "explicit endpoints: no discovery document read"))
        return providers.endpoints_from_options(
            authorize_endpoint=config.authorize_endpoint, token_endpoint=config.token_endpoint,
            jwks_uri=config.jwks_uri, userinfo_endpoint=config.userinfo_endpoint,
            issuer=config.issuer)
    template = None
    if config.dialect != "generic" or not config.issuer:
        template = providers.dialect_endpoints(
            config.dialect, tenant_url=config.tenant_url, app_id=config.app_id,
            base_url=config.base_url, env_id=config.env_id, tenant=config.tenant,
            workspace=config.workspace, issuer=config.issuer)
    issuer = template.issuer if template else config.issuer
    document, response = await _document(client, config, issuer, report)
    if document is None:
        return template
    expected = replace(config, issuer=issuer)
    for check in metadata_checks(expected, document):
        report.add(check, check_diagnosis(check.to_json(), expected))
    return template or _endpoints_of(config, document, response)


async def _document(client: httpx.AsyncClient, config: FlowConfig, issuer: str,
                    report: _Report) -> tuple[dict | None, HttpResponse | None]:
    """GET the discovery document (OIDC Discovery §4.1); a refusal is a failed check."""
    request = providers.discovery_request(issuer)
    try:
        response = await send(client, request)
    except NetworkError as exc:
        report.add(Check("discovery", False, str(exc)),
                   Diagnosis("network_error", "discovery", "error", str(exc),
                             "check the URL, the network, and --timeout"))
        return None, None
    document = response.json()
    if response.status == 200 and document is not None:
        report.add(Check("discovery", True, f"found at {request.url}"))
        return document, response
    failure = Check("discovery", False, f"{request.url} answered HTTP {response.status}"
                    + ("" if response.status != 200 else ", not a JSON object"))
    if response.status == 404:
        report.add(failure, tenant.diagnosis(config, "discovery", request.url))
    elif response.status >= 500:
        report.add(failure, Diagnosis("server_error", "discovery", "error",
                                      f"the discovery endpoint failed with HTTP "
                                      f"{response.status}", RETRY))
    else:
        report.add(failure)
    return None, response


def _endpoints_of(config: FlowConfig, document: dict,
                  response: HttpResponse) -> providers.Endpoints | None:
    """The document's endpoints, read under the issuer it names when that differs from the
    configured one: the issuer check has failed already, and the probe can still run."""
    named = document.get("issuer")
    for issuer in (config.issuer, named):
        if isinstance(issuer, str):
            try:
                return providers.parse_discovery(issuer, response, config.dialect)
            except ProtocolError:
                continue
    return None


def authorize_url(config: FlowConfig, endpoints: providers.Endpoints) -> str:
    """The authorization URL the flow would open (RFC 6749 §4.1.1, RFC 7636 §4.3)."""
    challenge = None if config.method == "none" else make_challenge(
        config.verifier or generate_verifier(), config.method)
    return AuthorizeRequest(
        endpoint=endpoints.authorization_endpoint, client_id=config.client_id,
        redirect_uri=config.redirect_uri, scope=config.scope,
        state=config.state or new_state(),
        nonce=config.nonce or (new_nonce() if "openid" in config.scope.split() else None),
        code_challenge=challenge.code_challenge if challenge else None,
        code_challenge_method=challenge.method if challenge else None,
        extra=config.extra_params).url()


@dataclass(frozen=True)
class ProbeOutcome:
    """The authorize probe's check, the diagnoses it stands for, and its exchange (None when
    it was not sent)."""

    check: Check
    diagnosis: tuple[Diagnosis, ...] = ()
    exchange: Exchange | None = None


async def probe_authorize(client: httpx.AsyncClient, config: FlowConfig,
                          endpoints: providers.Endpoints) -> ProbeOutcome:
    """One GET of the authorization URL the flow would open, its redirect not followed
    (RFC 6749 §4.1.2.1: the tenant refuses or accepts the request before any login).

    `client` must carry no cookie: a session would answer with a code and hide the verdict.
    With PAR the flow opens no such URL (RFC 9126 §4), so none is probed.
    """
    if config.par:
        return ProbeOutcome(Check(PROBE_CHECK, None, "not probed: with PAR the request is "
                                  "pushed first, and the par step shows the tenant's answer"))
    url = authorize_url(config, endpoints)
    request = HttpRequest("GET", url)
    try:
        response = await send(client, request, label=PROBE_LABEL)
    except NetworkError as exc:
        return ProbeOutcome(Check(PROBE_CHECK, False, str(exc)),
                            (Diagnosis("network_error", "authorize", "error", str(exc),
                                       "check the URL, the network, and --timeout"),),
                            Exchange(request, error=str(exc), labels=(PROBE_LABEL,)))
    probe = read_probe(response, url, config.redirect_uri)
    return ProbeOutcome(probe.check, tuple(probe_diagnoses(probe, config, url)),
                        Exchange(request, response, labels=(PROBE_LABEL,)))


async def _probe(client: httpx.AsyncClient, config: FlowConfig,
                 endpoints: providers.Endpoints, report: _Report) -> None:
    outcome = await probe_authorize(client, config, endpoints)
    report.add(outcome.check, *outcome.diagnosis)
