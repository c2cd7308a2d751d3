"""Issue routes. Two lists so reads and writes are built side by side: edit only your own list."""

from jiraemu.http import Route
from jiraemu.issues import reads, writes

CLOUD = ("cloud",)
READ_ROUTES: list[Route] = [
    Route("POST", "/rest/api/{v}/issue/bulkfetch", reads.bulkfetch, flavors=CLOUD),
    Route("GET", "/rest/api/{v}/issue/createmeta/{projectIdOrKey}/issuetypes", reads.createmeta_issuetypes),
    Route("GET", "/rest/api/{v}/issue/createmeta/{projectIdOrKey}/issuetypes/{issueTypeId}", reads.createmeta_fields),
    Route("GET", "/rest/api/{v}/issue/{issueIdOrKey}", reads.get_issue),
    Route("GET", "/rest/api/{v}/issue/{issueIdOrKey}/comment", reads.list_comments),
    Route("GET", "/rest/api/{v}/issue/{issueIdOrKey}/comment/{id}", reads.get_comment),
    Route("POST", "/rest/api/{v}/comment/list", reads.comment_list, flavors=CLOUD),
    Route("GET", "/rest/api/{v}/issue/{issueIdOrKey}/changelog", reads.get_changelog, flavors=CLOUD),
    Route("POST", "/rest/api/{v}/changelog/bulkfetch", reads.changelog_bulkfetch, flavors=CLOUD),
    Route("GET", "/rest/api/{v}/issue/{issueIdOrKey}/worklog", reads.list_worklogs),
    Route("GET", "/rest/api/{v}/issue/{issueIdOrKey}/worklog/{id}", reads.get_worklog),
    Route("GET", "/rest/api/{v}/issue/{issueIdOrKey}/properties", reads.list_properties),
    Route("GET", "/rest/api/{v}/issue/{issueIdOrKey}/properties/{propertyKey}", reads.get_property),
    Route("GET", "/rest/api/{v}/issue/{issueIdOrKey}/transitions", reads.get_transitions),
    Route("GET", "/rest/api/{v}/issue/{issueIdOrKey}/editmeta", reads.get_editmeta),
    Route("GET", "/rest/api/{v}/attachment/meta", reads.attachment_meta),
    Route("GET", "/rest/api/{v}/attachment/content/{id}", reads.attachment_content, flavors=CLOUD),
    Route("GET", "/rest/api/{v}/attachment/{id}", reads.get_attachment),
    Route("GET", "/rest/api/{v}/attachment/thumbnail/{id}", reads.attachment_thumbnail, flavors=CLOUD),
    Route("GET", "/secure/attachment/{id}/{filename}", reads.download_attachment),
    Route("GET", "/secure/thumbnail/{id}/{filename}", reads.download_thumbnail),
]
WRITE_ROUTES: list[Route] = [
    Route("POST", "/rest/api/{v}/issue", writes.create_issue, status=201),
    Route("POST", "/rest/api/{v}/issue/bulk", writes.create_issues, status=201),
    Route("PUT", "/rest/api/{v}/issue/{issueIdOrKey}", writes.edit_issue),
    Route("DELETE", "/rest/api/{v}/issue/{issueIdOrKey}", writes.delete_issue),
    Route("PUT", "/rest/api/{v}/issue/{issueIdOrKey}/assignee", writes.assign_issue),
    Route("POST", "/rest/api/{v}/issue/{issueIdOrKey}/transitions", writes.do_transition),
    Route("POST", "/rest/api/{v}/issue/{issueIdOrKey}/comment", writes.add_comment, status=201),
    Route("PUT", "/rest/api/{v}/issue/{issueIdOrKey}/comment/{id}", writes.update_comment),
    Route("DELETE", "/rest/api/{v}/issue/{issueIdOrKey}/comment/{id}", writes.delete_comment),
    Route("POST", "/rest/api/{v}/issue/{issueIdOrKey}/worklog", writes.add_worklog, status=201),
    Route("PUT", "/rest/api/{v}/issue/{issueIdOrKey}/worklog/{id}", writes.update_worklog),
    Route("DELETE", "/rest/api/{v}/issue/{issueIdOrKey}/worklog/{id}", writes.delete_worklog),
    Route("PUT", "/rest/api/{v}/issue/{issueIdOrKey}/properties/{propertyKey}", writes.set_property),
    Route("DELETE", "/rest/api/{v}/issue/{issueIdOrKey}/properties/{propertyKey}", writes.delete_property),
    Route("POST", "/rest/api/{v}/issue/{issueIdOrKey}/attachments", writes.add_attachments, raw=True),
    Route("DELETE", "/rest/api/{v}/attachment/{id}", writes.delete_attachment),
    Route("POST", "/rest/api/{v}/issueLink", writes.create_link, status=201),
    Route("DELETE", "/rest/api/{v}/issueLink/{linkId}", writes.delete_link),
]

ROUTES = READ_ROUTES + WRITE_ROUTES
