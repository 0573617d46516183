"""What each pane's step does and why, with the RFC section that says so (F1 in the app)."""

EXPLANATIONS: dict[str, str] = {
    "discovery": (
        "Discovery fetches the provider's metadata document so the client learns its "
        "authorize, token, JWKS and userinfo endpoints and the issuer identifier it must "
        "expect in tokens. [b]OIDC Discovery 1.0 §4[/b]; RFC 8414 §3."
    ),
    "verifier": (
        "The code_verifier is a fresh secret of 43-128 characters from [A-Za-z0-9-._~], made by "
        "the client for this one attempt. Only the client knows it; proving it at the token "
        "endpoint shows the code was not stolen on its way back. [b]RFC 7636 §4.1[/b]."
    ),
    "challenge": (
        "The code_challenge is what the authorization request carries instead of the verifier: "
        "BASE64URL(SHA256(ASCII(verifier))) for S256, or the verifier itself for plain. The "
        "server keeps it and compares at the token step. [b]RFC 7636 §4.2, §4.3[/b]."
    ),
    "authorize": (
        "The authorization request sends the user's browser to the server with response_type=code, "
        "client_id, redirect_uri, scope, state (CSRF protection), nonce (replay protection for "
        "the ID token) and the code challenge. [b]RFC 6749 §4.1.1[/b]; RFC 7636 §4.3; "
        "[b]OIDC Core §3.1.2.1[/b]."
    ),
    "redirect": (
        "After login the server redirects back to redirect_uri with code and state (or error). "
        "Native apps receive it on a loopback listener at 127.0.0.1 on any port [b]RFC 8252 "
        "§7.3[/b]; the client must check state [b]RFC 6749 §4.1.2, §10.12[/b] and, when the "
        "server sends one, iss [b]RFC 9207 §2.4[/b]. Some servers (CyberArk) answer with an "
        "HTML 'Object moved' page whose link carries the code."
    ),
    "token": (
        "The token request trades the code for tokens: grant_type=authorization_code, code, "
        "redirect_uri (identical to the authorize request's) and code_verifier, with client "
        "authentication for confidential clients. A wrong verifier, a reused or expired code or "
        "a different redirect_uri gives invalid_grant. [b]RFC 6749 §4.1.3, §5.2[/b]; "
        "[b]RFC 7636 §4.5, §4.6[/b]; client auth RFC 6749 §2.3.1."
    ),
    "claims": (
        "The ID token is a signed JWT about the login: the client checks the signature with the "
        "provider's JWKS, iss, aud (and azp), exp/iat, nonce and at_hash. The access token may "
        "be a JWT too, but it is meant for the API, not the client. "
        "[b]OIDC Core §2, §3.1.3.7[/b]; RFC 7519; RFC 9068."
    ),
    "followups": (
        "Follow-ups use the tokens: the userinfo endpoint returns claims for the access token "
        "[b]OIDC Core §5.3[/b]; the refresh_token grant gets new tokens without the user, and "
        "some providers rotate the refresh token. [b]RFC 6749 §6[/b]."
    ),
}
