"""OAuth endpoints. Cloud: auth.atlassian.com and api.atlassian.com stand-ins on the same host.
DC: the OAuth 1.0a servlets of an incoming application link."""

from jiraemu.auth import responses as h
from jiraemu.http import Route

CLOUD = ("cloud",)
DC = ("datacenter",)

ROUTES = [
    Route("GET", "/authorize", h.authorize, flavors=CLOUD, anonymous=True),
    Route("POST", "/oauth/token", h.token, flavors=CLOUD, anonymous=True),
    Route("GET", "/oauth/token/accessible-resources", h.accessible_resources, flavors=CLOUD),
    Route("GET", "/me", h.me, flavors=CLOUD),
    Route("POST", "/plugins/servlet/oauth/request-token", h.request_token, flavors=DC, anonymous=True),
    Route("GET", "/plugins/servlet/oauth/authorize", h.oauth1_authorize, flavors=DC, anonymous=True),
    Route("POST", "/plugins/servlet/oauth/access-token", h.access_token, flavors=DC, anonymous=True),
]
