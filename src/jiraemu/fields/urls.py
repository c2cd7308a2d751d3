from jiraemu.fields import responses as h
from jiraemu.http import Route

CLOUD = ("cloud",)

ROUTES = [
    Route("GET", "/rest/api/{v}/field", h.list_fields),
    Route("GET", "/rest/api/{v}/field/search", h.search_fields, flavors=CLOUD),
    Route("GET", "/rest/api/{v}/issuetype", h.list_issue_types),
    Route("GET", "/rest/api/{v}/issuetype/project", h.project_issue_types, flavors=CLOUD),
    Route("GET", "/rest/api/{v}/issuetype/{id}", h.get_issue_type),
    Route("GET", "/rest/api/{v}/priority", h.list_priorities),
    Route("GET", "/rest/api/{v}/priority/search", h.search_priorities, flavors=CLOUD),
    Route("GET", "/rest/api/{v}/priority/{id}", h.get_priority),
    Route("GET", "/rest/api/{v}/status", h.list_statuses),
    Route("GET", "/rest/api/{v}/status/{idOrName}", h.get_status),
    Route("GET", "/rest/api/{v}/statuscategory", h.list_status_categories),
    Route("GET", "/rest/api/{v}/statuscategory/{idOrKey}", h.get_status_category),
    Route("GET", "/rest/api/{v}/resolution", h.list_resolutions),
    Route("GET", "/rest/api/{v}/resolution/{id}", h.get_resolution),
    Route("GET", "/rest/api/{v}/issueLinkType", h.list_link_types),
    Route("GET", "/rest/api/{v}/issueLinkType/{issueLinkTypeId}", h.get_link_type),
    Route("GET", "/rest/api/{v}/label", h.list_labels, flavors=CLOUD),
]
