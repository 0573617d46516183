"""The follow-up steps a HAR may hold after the tokens: introspection (RFC 7662), revocation
(RFC 7009) and RP-initiated logout (RP-Initiated Logout 1.0).

Each is read with the live steps' own answer readers (`core.followups`) into the result the
live step gives, so the follow-up diagnosis rules read it unchanged. A step the HAR does not
hold is not part of the rebuilt flow: these steps run only when asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pkce_tui.core.client_assertion import decoded_assertion
from pkce_tui.core.followups import judge_logout, parse_introspection, revocation_verdict
from pkce_tui.core.har import classify
from pkce_tui.core.http import Exchange
from pkce_tui.core.step_result import StepResult

if TYPE_CHECKING:
    from pkce_tui.core.har.document import HarEntry
    from pkce_tui.core.har.flows import FlowEntries
    from pkce_tui.core.har.rebuild import Rebuild

NO_ANSWER = "the browser recorded no answer to this request (blocked, aborted or refused)"


def introspection_entry(flow: FlowEntries) -> HarEntry | None:
    """The introspection of the live step (RFC 7662 §2.1): the first one that is not the
    check of a revoked token."""
    check = revocation_check(flow)
    return next((entry for entry in flow.introspections if entry is not check), None)


def revocation_check(flow: FlowEntries) -> HarEntry | None:
    """The first answered introspection of the last revoked token made after the revocation:
    the check that it is dead (RFC 7009 §2.2)."""
    if not flow.revocations:
        return None
    revoked = flow.revocations[-1]
    token = _form(revoked).get("token")
    return next((entry for entry in flow.introspections if entry.response is not None
                 and _form(entry).get("token") == token and _order(entry) > _order(revoked)),
                None)


def introspection(work: Rebuild) -> None:
    """The introspection step, when the HAR holds one."""
    entry = introspection_entry(work.flow)
    if entry is None:
        return
    data = {"token_type_hint": _form(entry).get("token_type_hint"), **assertion(entry)}
    if entry.response is None:
        work.add(unanswered(work, "introspection", entry, data), entry.started)
        return
    answer = parse_introspection(entry.response)
    data.update(active=answer.active, claims=answer.claims)
    exchange = {"request": entry.request, "response": entry.response}
    if answer.error:
        result = StepResult("introspection", "error", answer.error, data, error=answer.error,
                            **exchange)
    elif not answer.active:
        why = f"the server says the {data['token_type_hint'] or 'token'} is not active"
        result = StepResult("introspection", "error", why, data, error=why, value=answer,
                            **exchange)
    else:
        result = StepResult("introspection", "ok", f"active; client_id "
                            f"{answer.claims.get('client_id')}, scope "
                            f"{answer.claims.get('scope')}", data, value=answer, **exchange)
    work.add(result, entry.started)


def revocation(work: Rebuild) -> None:
    """The last revocation (RFC 7009 §2.1), and whether an introspection of the same token
    after it still called the token active (§2.2: it should not)."""
    if not work.flow.revocations:
        return
    entry = work.flow.revocations[-1]
    form = _form(entry)
    hint = form.get("token_type_hint") or "token"
    data = {"token_type_hint": form.get("token_type_hint"), **assertion(entry)}
    if entry.response is None:
        work.add(unanswered(work, "revocation", entry, data), entry.started)
        return
    exchange = {"request": entry.request, "response": entry.response}
    refused = revocation_verdict(entry.response)
    if refused:
        work.add(StepResult("revocation", "error", refused, data, error=refused, **exchange),
                 entry.started)
        return
    check = revocation_check(work.flow)
    still_active = parse_introspection(check.response).active if check else None
    if still_active is not None:
        data["still_active"] = still_active
    if still_active:
        why = f"HTTP 200, but introspection still calls the {hint} active"
        work.add(StepResult("revocation", "warning", why, data, error=why, **exchange),
                 entry.started)
        return
    checked = "; introspection confirms it" if still_active is False else ""
    work.add(StepResult("revocation", "ok", f"{hint} revoked{checked}", data, **exchange),
             entry.started)


def logout(work: Rebuild) -> None:
    """The last RP-initiated logout (RP-Initiated Logout 1.0 §2), judged on where its last
    answer left the browser, as the live step judges it (§3: back to the post-logout URI
    with the state sent)."""
    if not work.flow.logouts:
        return
    hops = work.flow.logouts[-1]
    sent = logout_sent(work.flow)
    target, state = sent.get("post_logout_redirect_uri"), sent.get("state")
    data = {"id_token_hint": bool(sent.get("id_token_hint")),
            "post_logout_redirect_uri": target, "state": state}
    answered = [entry for entry in hops if entry.response is not None]
    if not answered:
        work.add(unanswered(work, "logout", hops[0], data), hops[0].started)
        return
    last = answered[-1]
    outcome = judge_logout(last.response, last.url, target, state)
    data["location"] = outcome.location
    exchanges = tuple(Exchange(e.request, e.response, labels=("logout",)) for e in answered)
    work.add(StepResult("logout", outcome.status, outcome.summary, data, request=last.request,
                        response=last.response,
                        error=outcome.summary if outcome.status != "ok" else None,
                        exchanges=exchanges if len(exchanges) > 1 else ()), hops[0].started)


def logout_sent(flow: FlowEntries) -> dict[str, str]:
    """The parameters the last logout sent: its query, or its form when POSTed (§2)."""
    if not flow.logouts:
        return {}
    first = flow.logouts[-1][0]
    return {**classify.query(first.url), **_form(first)}


def unanswered(work: Rebuild, step: str, entry: HarEntry, data: dict) -> StepResult:
    """A request the HAR shows unanswered: the step failed, and the answer is said missing."""
    work.lacks(f"{step} response: {NO_ANSWER}")
    return StepResult(step, "error", NO_ANSWER, {**data, "no_answer": True},
                      request=entry.request, error=NO_ANSWER)


def _form(entry: HarEntry) -> dict[str, str]:
    return dict(entry.request.form or ())


def _order(entry: HarEntry) -> tuple[float, int]:
    """Where the entry stands in time (file order where times are missing)."""
    return entry.started or 0.0, entry.index


def assertion(entry: HarEntry) -> dict:
    """`{"client_assertion": {"header", "payload"}}` when the request carries one, as the
    live steps show it (RFC 7523 §2.2)."""
    decoded = decoded_assertion(entry.request.form)
    return {"client_assertion": decoded} if decoded else {}
