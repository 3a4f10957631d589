"""The WebSocket handshake's Origin check: the page's own origin, or a trusted one.

A browser sends the Origin of the page that opens a socket, and the socket carries that
browser's session cookie wherever the page came from; so a socket is accepted only from
this site's own pages: an Origin equal, in scheme, host and port, to the origin the request
itself came to (its `Host`, and its scheme as the proxy saw it when SECURE_PROXY_SSL_HEADER
is set, i.e. BEHIND_HTTPS_PROXY=1), or one listed in CSRF_TRUSTED_ORIGINS, by the rules of
Django's own CSRF Origin check. The `Host` must be in ALLOWED_HOSTS, as for any request.
Anything else, a missing or malformed Origin included, is refused at the handshake (HTTP 403)
before any session or database work.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import is_same_domain, split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int]  # scheme, host, port


class SameOriginValidator:
    """ASGI middleware: lets a WebSocket through only from an allowed Origin."""

    # A plain callable that returns a coroutine is ASGI 3 all the same; say so, since
    # asgiref (and uvicorn) would otherwise take it for ASGI 2.
    _asgi_single_callable = True

    def __init__(self, application: Any) -> None:
        self.application = application

    def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        # Not a coroutine: an accepted socket is handed on, not awaited here, so it holds no
        # frame of this middleware for its lifetime.
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return WebsocketDenier()(scope, receive, send)
        return self.application(scope, receive, send)


def origin_allowed(scope: dict[str, Any]) -> bool:
    origins, hosts = _header(scope, b"origin"), _header(scope, b"host")
    # One of each: with two, which one counts would be the client's choice.
    if len(origins) != 1 or len(hosts) != 1 or not _host_allowed(hosts[0]):
        return False
    requested = parse_origin(origins[0])
    if requested is None:
        return False
    own = parse_origin(f"{_scheme(scope)}://{hosts[0]}")
    return requested == own or _trusted(origins[0], requested)


def parse_origin(text: str) -> Origin | None:
    """(scheme, host, port) of an origin like https://chat.example.com, default port filled
    in; None unless it is exactly an http(s) scheme, a host and an optional port."""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname or parts.username is not None:
        return None
    if parts.path or parts.query or parts.fragment:
        return None
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme]


def _header(scope: dict[str, Any], name: bytes) -> list[str]:
    return [value.decode("latin1") for key, value in scope.get("headers", []) if key == name]


def _host_allowed(host: str) -> bool:
    domain, _ = split_domain_port(host)
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:  # as Django's HttpRequest.get_host does
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    return bool(domain) and validate_host(domain, allowed)


def _scheme(scope: dict[str, Any]) -> str:
    """The scheme the page was served over, as Django's HttpRequest.scheme reckons it."""
    if settings.SECURE_PROXY_SSL_HEADER:
        meta_name, secure_value = settings.SECURE_PROXY_SSL_HEADER
        name = meta_name.removeprefix("HTTP_").replace("_", "-").lower().encode("latin1")
        values = _header(scope, name)
        if values:
            return "https" if values[0].split(",", 1)[0].strip() == secure_value else "http"
    return "https" if scope.get("scheme") in {"wss", "https"} else "http"


def _trusted(origin: str, requested: Origin) -> bool:
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        if "*" in trusted:
            # https://*.example.com: any subdomain, on the default port, as Django's CSRF check.
            parts = urlsplit(trusted)
            if parts.scheme == requested[0] and is_same_domain(
                urlsplit(origin).netloc, parts.netloc.lstrip("*")
            ):
                return True
        elif parse_origin(trusted) == requested:
            return True
    return False
