"""The project's own error types: each carries one line a user can act on."""


class PkceTuiError(Exception):
    """An expected failure; its message is one clear line naming what was wrong."""


class InputError(PkceTuiError):
    """Malformed input from the user: a verifier, URL, HTML page, JWT, JSON body, HAR file."""


class NetworkError(PkceTuiError):
    """A server could not be reached, or did not answer in time."""


class ProtocolError(PkceTuiError):
    """A server answered, but not with something the protocol allows."""
