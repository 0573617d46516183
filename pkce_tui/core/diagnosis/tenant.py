"""A 404 on the tenant's own paths: the commonest typo of a support engineer.

Every dialect puts the tenant's identifiers in the path (CyberArk's app id, PingOne's
environment id, Cloudentity's tenant and workspace, a generic issuer's path), and a wrong one
answers HTTP 404 wherever it is used first: discovery, authorize, token.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pkce_tui.core.diagnosis.model import Diagnosis, failed
from pkce_tui.core.http import HttpResponse

if TYPE_CHECKING:
    from pkce_tui.core.flow import FlowConfig, FlowState
    from pkce_tui.core.step_result import StepResult

#: Steps whose first request reaches a tenant path.
STEPS = ("discovery", "login", "token", "userinfo")
#: A login's exchanges that go to a tenant path as built from the settings; a 404 on a later
#: hop (an expired PingOne flow) is something else.
TENANT_HOPS = ("authorize", "StartAuthentication", "hop 1")


def what_to_check(config: FlowConfig) -> str:
    """The settings that make up the path, named as the command line names them."""
    if config.authorize_endpoint or config.token_endpoint:
        return "check --authorize-endpoint and --token-endpoint against the provider's " \
               "published endpoints"
    return {
        "cyberark": f"check --tenant-url ({config.tenant_url}) and --app-id ({config.app_id}): "
                    "the app id is the OpenID Connect application's Application ID in the "
                    "Admin Portal, e.g. __idaptive_cybr_user_oidc",
        "pingone": f"check --env-id ({config.env_id}), the environment's id (a UUID), and the "
                   f"region of --base-url ({config.base_url}: auth.pingone.com, .eu, .ca, "
                   ".asia, .com.au)",
        "cloudentity": f"check --tenant ({config.tenant}) and --workspace "
                       f"({config.workspace}): the issuer is {{base}}/{{tenant}}/{{workspace}}, "
                       "as the workspace's settings show it",
    }.get(config.dialect, f"check --issuer ({config.issuer}): its discovery document must be "
                          "at {issuer}/.well-known/openid-configuration (OIDC Discovery §4)")


def not_found_response(result: StepResult) -> HttpResponse | None:
    """The step's 404: its own response, or that of a login's hop to a tenant path."""
    responses = [result.response] + [e.response for e in result.exchanges
                                      if set(e.labels) & set(TENANT_HOPS)]
    return next((r for r in responses if r is not None and r.status == 404), None)


def diagnosis(config: FlowConfig, step: str, url: str) -> Diagnosis:
    where = url.split("?", 1)[0]
    return Diagnosis("tenant_not_found", step, "error",
                     f"{where} answered HTTP 404: the tenant, application, environment or "
                     "workspace in that path does not exist there",
                     what_to_check(config))


def rules(state: FlowState) -> Iterator[Diagnosis]:
    """The first step whose answer was a 404 names the path it tried."""
    for step in STEPS:
        result = failed(state, step)
        response = not_found_response(result) if result is not None else None
        if response is not None:
            yield diagnosis(state.config, step, response.url or _request_url(result))
            return


def _request_url(result: StepResult) -> str:
    if result.request is not None:
        return result.request.url
    return next((e.request.url for e in reversed(result.exchanges)), "the endpoint")
