"""Interactive authorization for the CLI: a one-shot local callback server, then the token exchange.

The browser is sent to the authorization URL; Jira (or Atlassian) redirects it to
``redirect_uri`` on this machine, where a tiny HTTP server catches the code (OAuth 2.0) or the
verifier (OAuth 1.0a). ``state`` is checked by ``code_from_callback``.
"""

from __future__ import annotations

import asyncio
import threading
import webbrowser
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx

from jirasync.auth.oauth1 import OAuth1Consumer, access_token, authorize_url, request_token
from jirasync.auth.oauth2 import (
    OAuth2App,
    OAuth2Tokens,
    authorization_request,
    code_from_callback,
    exchange_code,
)
from jirasync.exceptions import AuthenticationError, ConfigError
from jirasync.site import is_loopback
from jirasync.vault import Secret

PAGE = b"<!doctype html><title>jirasync</title><p>Authorization received. You can close this window.</p>"


class CallbackCatcher:
    """Serves one GET on the redirect URI's loopback host and port, and keeps its full URL."""

    def __init__(self, redirect_uri: str) -> None:
        parts = urlsplit(redirect_uri)
        host = parts.hostname or ""
        if parts.scheme != "http" or not is_loopback(host) or not parts.port:
            raise ConfigError("redirect-uri", f"{redirect_uri} is not a loopback http URL with a port",
                              fix="use e.g. http://127.0.0.1:8765/callback and register it as the app's callback URL")
        self.redirect_uri = redirect_uri
        self.url: str | None = None
        self._done = threading.Event()
        catcher = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if urlsplit(self.path).path != parts.path:
                    self.send_response(404)
                    self.end_headers()
                    return
                catcher.url = f"http://{parts.netloc}{self.path}"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(PAGE)
                catcher._done.set()

            def log_message(self, format: str, *args: object) -> None:  # keep codes out of logs
                return

        try:
            self._server = HTTPServer((host, parts.port), Handler)
        except OSError as exc:
            raise ConfigError("redirect-uri", f"cannot listen on {parts.netloc}: {exc.strerror}",
                              fix="free the port or pass another --redirect-uri registered with the app") from None
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    async def wait(self, timeout_s: float) -> str:
        done = await asyncio.to_thread(self._done.wait, timeout_s)
        self._server.shutdown()
        self._server.server_close()
        if not done or self.url is None:
            raise AuthenticationError(f"no authorization arrived within {timeout_s:.0f} s", fix="run the command again and approve in the browser")
        return self.url


async def authorize_oauth2(
    app: OAuth2App, *, announce: Callable[[str], None], open_browser: bool = True, timeout_s: float = 300.0,
    verify: object = True,
) -> OAuth2Tokens:
    catcher = CallbackCatcher(app.redirect_uri)
    request = authorization_request(app)
    announce(request.url)
    if open_browser:
        webbrowser.open(request.url)
    callback = await catcher.wait(timeout_s)
    code = code_from_callback(callback, request.state)
    async with httpx.AsyncClient(timeout=30, verify=verify) as http:  # type: ignore[arg-type]
        return await exchange_code(app, code, http)


async def authorize_oauth1(
    base_url: str, consumer: OAuth1Consumer, redirect_uri: str, *, announce: Callable[[str], None],
    open_browser: bool = True, timeout_s: float = 300.0, verify: object = True,
) -> tuple[Secret, Secret]:
    catcher = CallbackCatcher(redirect_uri)
    async with httpx.AsyncClient(timeout=30, verify=verify) as http:  # type: ignore[arg-type]
        temp = await request_token(base_url, consumer, http, callback=redirect_uri)
        url = authorize_url(base_url, temp["oauth_token"])
        announce(url)
        if open_browser:
            webbrowser.open(url)
        callback = await catcher.wait(timeout_s)
        verifier = parse_qs(urlsplit(callback).query).get("oauth_verifier", [""])[0]
        if not verifier:
            raise AuthenticationError("the callback carries no oauth_verifier", fix="approve the request in Jira and try again")
        final = await access_token(base_url, consumer, temp["oauth_token"], temp.get("oauth_token_secret", ""), verifier, http)
    return Secret(final["oauth_token"]), Secret(final.get("oauth_token_secret", ""))
