"""Security headers on every response, and trusting a reverse proxy's forwarded headers."""
from __future__ import annotations

from flask import Flask, g
from werkzeug.middleware.proxy_fix import ProxyFix

# Folium writes its map set-up as inline scripts, so scripts need 'unsafe-inline'; everything is
# still limited to this origin (no CDN), and user text is escaped before it reaches a page.
CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob: https: http:; connect-src 'self'; worker-src 'self'; manifest-src 'self'; "
       "font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'")
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(self), geolocation=(self), microphone=()",
    "Content-Security-Policy": CSP,
}


def register(app: Flask) -> None:
    """Add the headers; behind TRUST_PROXY_HOPS proxies, take client address and scheme from them."""
    hops = int(app.config.get("TRUST_PROXY_HOPS") or 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)

    @app.after_request
    def security_headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        # What a logged-in user is served is theirs: no shared cache keeps it, unless a route chose
        # its own caching (tiles) — send_file's default "no-cache" still lets a cache store it.
        # The user a view already loaded: asking current_user here would cost every static file a query.
        user = g.get("_login_user")
        if user is not None and user.is_authenticated and (
                "Cache-Control" not in response.headers or response.cache_control.no_cache):
            response.headers["Cache-Control"] = "private, no-store"
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
