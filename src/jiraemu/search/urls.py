from jiraemu.http import Route
from jiraemu.search import responses as h

ROUTES = [
    Route("GET", "/rest/api/{v}/search/jql", h.search_jql, flavors=("cloud",)),
    Route("POST", "/rest/api/{v}/search/jql", h.search_jql, flavors=("cloud",)),
    Route("POST", "/rest/api/{v}/search/approximate-count", h.approximate_count, flavors=("cloud",)),
    # DC's search; on Cloud the removed API (410 unless --legacy-search)
    Route("GET", "/rest/api/{v}/search", h.search_start_at),
    Route("POST", "/rest/api/{v}/search", h.search_start_at),
]
ROUTES.append(Route("POST", "/rest/api/{v}/jql/parse", h.parse_jql, flavors=("cloud",)))
