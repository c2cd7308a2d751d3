"""OAuth 1.0a (RSA-SHA1) for Jira Server/Data Center incoming application links.

Set-up (documented in docs/connecting.md): generate an RSA key pair, create an application link
in Jira with an incoming link whose consumer key is yours and whose public key is the pair's
public half, then run the dance once (``jirasync connect NAME --auth oauth1``) to get an access
token. Signing comes from Authlib's ``ClientAuth``; the I/O is httpx.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode

import httpx

from jirasync.exceptions import AuthenticationError
from jirasync.vault import Secret

if TYPE_CHECKING:
    from authlib.oauth1.rfc5849.client_auth import ClientAuth

REQUEST_TOKEN_PATH = "/plugins/servlet/oauth/request-token"
AUTHORIZE_PATH = "/plugins/servlet/oauth/authorize"
ACCESS_TOKEN_PATH = "/plugins/servlet/oauth/access-token"


@dataclass(frozen=True)
class OAuth1Consumer:
    consumer_key: str
    private_key_pem: Secret

    def signer(self, token: str | None = None, token_secret: str | None = None, **kw: str) -> ClientAuth:
        from authlib.oauth1 import SIGNATURE_RSA_SHA1  # (imported on first use: most commands never sign)
        from authlib.oauth1.rfc5849.client_auth import ClientAuth

        return ClientAuth(
            self.consumer_key,
            token=token,
            token_secret=token_secret,
            rsa_key=self.private_key_pem.reveal(),
            signature_method=SIGNATURE_RSA_SHA1,
            **kw,
        )


class OAuth1Auth(httpx.Auth):
    """Signs every request with the consumer's RSA key and the user's access token."""

    requires_request_body = True

    def __init__(self, consumer: OAuth1Consumer, access_token: Secret, token_secret: Secret | None = None) -> None:
        self.consumer = consumer
        self._token = access_token
        self._secret = token_secret

    def __repr__(self) -> str:
        return f"OAuth1Auth(consumer_key={self.consumer.consumer_key!r}, token=**********)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        signer = self.consumer.signer(self._token.reveal(), self._secret.reveal() if self._secret else "")
        form = request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
        body = request.content.decode() if form else ""
        _, headers, _ = signer.sign(request.method, str(request.url), {}, body)
        request.headers["Authorization"] = headers["Authorization"]
        yield request


def _parse(response: httpx.Response, step: str) -> dict[str, str]:
    if response.status_code != 200:
        problem = dict(parse_qsl(response.text)).get("oauth_problem") or response.headers.get("WWW-Authenticate", "")
        raise AuthenticationError(
            f"OAuth 1.0a {step} failed ({response.status_code}: {problem})",
            status=response.status_code,
            fix="check the consumer key and that the application link holds this key pair's public key",
        )
    return dict(parse_qsl(response.text))


async def request_token(base_url: str, consumer: OAuth1Consumer, http: httpx.AsyncClient, callback: str = "oob") -> dict[str, str]:
    url = base_url + REQUEST_TOKEN_PATH
    _, headers, _ = consumer.signer(redirect_uri=callback).sign("POST", url, {}, "")
    return _parse(await http.post(url, headers=headers), "request-token")


def authorize_url(base_url: str, token: str) -> str:
    return f"{base_url}{AUTHORIZE_PATH}?{urlencode({'oauth_token': token})}"


async def access_token(
    base_url: str, consumer: OAuth1Consumer, token: str, token_secret: str, verifier: str, http: httpx.AsyncClient
) -> dict[str, str]:
    url = base_url + ACCESS_TOKEN_PATH
    _, headers, _ = consumer.signer(token, token_secret, verifier=verifier).sign("POST", url, {}, "")
    return _parse(await http.post(url, headers=headers), "access-token")
