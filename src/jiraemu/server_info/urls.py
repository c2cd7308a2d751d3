from jiraemu.http import Route
from jiraemu.server_info import responses as h

ROUTES = [
    Route("GET", "/rest/api/{v}/serverInfo", h.server_info, anonymous=True),
    Route("GET", "/rest/api/{v}/myself", h.myself),
]
