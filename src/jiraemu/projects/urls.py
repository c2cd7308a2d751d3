from jiraemu.http import Route
from jiraemu.projects import responses as h

ROUTES = [
    Route("GET", "/rest/api/{v}/project", h.list_projects),
    Route("GET", "/rest/api/{v}/project/search", h.search_projects, flavors=("cloud",)),
    Route("GET", "/rest/api/{v}/project/{projectIdOrKey}", h.get_project),
    Route("GET", "/rest/api/{v}/project/{projectIdOrKey}/statuses", h.project_statuses),
    Route("GET", "/rest/api/{v}/project/{projectIdOrKey}/components", h.project_components),
    Route("GET", "/rest/api/{v}/project/{projectIdOrKey}/versions", h.project_versions),
    Route("GET", "/rest/api/{v}/component/{id}", h.get_component),
    Route("GET", "/rest/api/{v}/version/{id}", h.get_version),
]
