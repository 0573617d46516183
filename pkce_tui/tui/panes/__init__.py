"""One pane per step of the flow, one module per pane; each renders from the app's FlowState
and posts edits.

Panes hold no protocol logic: values come from the state the core computed, and the live
challenge is the core's `make_challenge` called as the user types.
"""

from pkce_tui.tui.panes.authorize import AuthorizePane, split_params
from pkce_tui.tui.panes.base import Copyable, StepPane
from pkce_tui.tui.panes.challenge import ChallengePane
from pkce_tui.tui.panes.claims import ClaimsPane
from pkce_tui.tui.panes.discovery import DiscoveryPane
from pkce_tui.tui.panes.followups import FollowupsPane
from pkce_tui.tui.panes.redirect import RedirectPane, redirect_details
from pkce_tui.tui.panes.token import TokenPane
from pkce_tui.tui.panes.verifier import VerifierPane

PANES: tuple[type[StepPane], ...] = (DiscoveryPane, VerifierPane, ChallengePane, AuthorizePane,
                                     RedirectPane, TokenPane, ClaimsPane, FollowupsPane)
PANE_IDS = ("discovery", "verifier", "challenge", "authorize", "redirect", "token", "claims",
            "followups")

__all__ = ["PANES", "PANE_IDS", "AuthorizePane", "ChallengePane", "ClaimsPane", "Copyable",
           "DiscoveryPane", "FollowupsPane", "RedirectPane", "StepPane", "TokenPane",
           "VerifierPane", "redirect_details", "split_params"]
