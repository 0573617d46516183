"""pkce-tui: a terminal debugger for the OAuth 2.0 authorization code flow with PKCE."""

__version__ = "0.1.0"
