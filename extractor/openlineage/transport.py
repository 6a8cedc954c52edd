"""Sending events to a lineage server with openlineage-python's HTTP transport.

The transport brings retries with backoff (urllib3's Retry), a timeout and bearer-token auth. It
is used directly rather than through ``OpenLineageClient``, whose ``emit`` adds facets from the
environment (CI variables, OPENLINEAGE__ settings): the server must receive exactly the bytes
that ``-o FILE`` writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
from openlineage.client.transport.http import ApiKeyTokenProvider, HttpConfig, HttpTransport, TokenProvider
from openlineage.client.transport.http_common import DEFAULT_RETRY_CONFIG

from ..errors import ConfigError, DatatrailError
from .events import Event
from .settings import Settings


class SendError(DatatrailError):
    """Events could not all be delivered; says how many were and why the next one was not."""

    def __init__(self, message: str, sent: int, total: int, status: int | None = None) -> None:
        super().__init__(message)
        self.sent = sent
        self.total = total
        self.status = status


@dataclass(frozen=True)
class Target:
    """Where to send: the server's base URL (the endpoint path comes from the settings)."""

    url: str
    api_key: str | None = None


def make_transport(target: Target, settings: Settings) -> HttpTransport:
    auth: TokenProvider = ApiKeyTokenProvider({"api_key": target.api_key}) if target.api_key else TokenProvider({})
    # raise_on_status=False: when the retries run out on a 5xx, the last response comes back and
    # raise_for_status names its status, instead of urllib3's opaque "too many error responses".
    retry = {**DEFAULT_RETRY_CONFIG, "total": settings.retries, "raise_on_status": False}
    config = HttpConfig(
        url=base_url(target.url), endpoint=settings.endpoint, timeout=settings.timeout, auth=auth, retry=retry
    )
    try:
        return HttpTransport(config)
    except ValueError as e:
        raise ConfigError(f"--url: {target.url!r} is not a lineage server URL such as http://localhost:5000") from e


def check_url(url: str) -> None:
    """Refuse, before anything is scanned, a URL that no lineage server can have (a usage error)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"--url: {url!r} is not a lineage server URL such as http://localhost:5000")


def base_url(url: str) -> str:
    """The server URL as a directory, so the endpoint is joined below it, never in place of its last part.

    The transport joins URL and endpoint like a browser resolves a relative link:
    ``https://gms/openapi/openlineage`` + ``api/v1/lineage`` would lose ``openlineage``."""
    url = url.strip()
    return url if url.endswith("/") else url + "/"


def send(events: Sequence[Event], target: Target, settings: Settings) -> int:
    """Send every event in order; returns how many were sent, or raises ``SendError`` at the first failure."""
    transport = make_transport(target, settings)
    url = urljoin(transport.url, settings.endpoint)
    sent = 0
    try:
        for event in events:
            try:
                transport.emit(event)
            except requests.HTTPError as e:
                status = e.response.status_code if e.response is not None else None
                reason = f"HTTP {status} {e.response.reason if e.response is not None else ''}".strip()
                raise SendError(_message(url, reason, sent, len(events)), sent, len(events), status) from e
            except requests.RequestException as e:
                raise SendError(_message(url, _cause(e), sent, len(events)), sent, len(events)) from e
            sent += 1
    finally:
        transport.close()
    return sent


def _message(url: str, reason: str, sent: int, total: int) -> str:
    return f"sending OpenLineage events to {url} failed: {reason}; {sent} of {total} events were sent"


def _cause(e: requests.RequestException) -> str:
    kind = "timed out" if isinstance(e, requests.Timeout) else "cannot connect"
    return f"{kind} ({e})"
