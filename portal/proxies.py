"""The client's address behind a reverse proxy: ``X-Forwarded-For`` is believed only from
the proxies the deployment declares in ``TRUSTED_PROXIES`` (none by default)."""

from __future__ import annotations

import ipaddress

from werkzeug.middleware.proxy_fix import ProxyFix


def parse_networks(value) -> list:
    """``"10.0.0.1, 192.168.0.0/24"`` (or a list) → networks; a bad entry fails the start."""
    if isinstance(value, str):
        value = [v for v in (p.strip() for p in value.split(",")) if v]
    try:
        return [ipaddress.ip_network(v, strict=False) for v in value or ()]
    except ValueError as exc:
        raise RuntimeError(f"Bad PORTAL_TRUSTED_PROXIES entry: {exc}") from None


class TrustedProxyFix:
    """Apply werkzeug's ProxyFix (one hop) only to requests that come from a trusted proxy."""

    def __init__(self, app, networks):
        self.app, self.networks = app, networks
        self.fixed = ProxyFix(app, x_for=1, x_proto=1)

    def _trusted(self, addr: str) -> bool:
        try:
            ip = ipaddress.ip_address(addr)
        except ValueError:
            return False
        return any(ip in net for net in self.networks)

    def __call__(self, environ, start_response):
        if self._trusted(environ.get("REMOTE_ADDR", "")):
            return self.fixed(environ, start_response)
        return self.app(environ, start_response)


def init_app(app) -> None:
    networks = parse_networks(app.config.get("TRUSTED_PROXIES"))
    if networks:
        app.wsgi_app = TrustedProxyFix(app.wsgi_app, networks)
