"""The project's own error types: each carries one line a user can act on."""


class PkceTuiError(Exception):
    """An expected failure; its message is one clear line naming what was wrong."""


class InputError(PkceTuiError):
    """Malformed input from the user: a verifier, URL, HTML page, JWT, JSON body, HAR file."""


class NetworkError(PkceTuiError):
    """A server could not be reached, or did not answer in time; keeps the unanswered request."""

    def __init__(self, message: str, request: object | None = None):
        super().__init__(message)
        self.request = request


class ProtocolError(PkceTuiError):
    """A server answered, but not with something the protocol allows."""
