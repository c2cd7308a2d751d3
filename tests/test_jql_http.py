"""JQL as a client meets it over HTTP: literals in the caller's profile zone at minute precision, and
Jira's 400 bodies for bad JQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from jiraemu.timefmt import parse_ts


def search(client: httpx.Client, jql: str, fields: str = "updated") -> httpx.Response:
    return client.get("/rest/api/3/search/jql", params={"jql": jql, "fields": fields, "maxResults": 100})


def test_watermark_literals_are_read_in_the_callers_profile_zone(admin_client: httpx.Client) -> None:
    zone = admin_client.get("/rest/api/3/myself").json()["timeZone"]
    assert zone == "America/Los_Angeles"  # the admin's profile zone, not UTC, not the site zone
    first = search(admin_client, "project IS NOT EMPTY ORDER BY updated DESC").json()["issues"][0]
    updated_ms = parse_ts(first["fields"]["updated"])
    key = first["key"]

    local = datetime.fromtimestamp(updated_ms / 1000, tz=ZoneInfo(zone))
    watermark = local.strftime("%Y/%m/%d %H:%M")  # truncated to the minute, in the caller's zone
    hits = search(admin_client, f'key = {key} AND updated >= "{watermark}"').json()["issues"]
    assert [i["key"] for i in hits] == [key]
    assert search(admin_client, f'key = {key} AND updated < "{watermark}"').json()["issues"] == []
    nxt = (local + timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M")
    assert search(admin_client, f'key = {key} AND updated < "{nxt}"').json()["issues"] != []

    # the classic bug: a UTC wall-clock watermark read in Los Angeles lies hours in the future
    utc = datetime.fromtimestamp(updated_ms / 1000, tz=ZoneInfo("UTC")).strftime("%Y/%m/%d %H:%M")
    assert search(admin_client, f'key = {key} AND updated >= "{utc}"').json()["issues"] == []
    # epoch millis have no zone at all
    epoch = updated_ms - updated_ms % 60_000
    assert [i["key"] for i in search(admin_client, f"key = {key} AND updated >= {epoch}").json()["issues"]] == [key]


def test_bad_jql_answers_400_with_jiras_messages(admin_client: httpx.Client) -> None:
    syntax = search(admin_client, "invalid query")
    assert syntax.status_code == 400
    assert syntax.json() == {
        "errorMessages": [
            "Error in the JQL Query: Expecting operator but got 'query'. The valid operators are '=', '!=', "
            "'<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'. (line 1, character 9)"
        ],
        "errors": {},
    }
    unknown = search(admin_client, "project = NOPE AND universe = 42")
    assert unknown.status_code == 400
    assert unknown.json()["errorMessages"] == [
        "The value 'NOPE' does not exist for the field 'project'.",
        "Field 'universe' does not exist or you do not have permission to view it.",
    ]
    date = search(admin_client, "updated > 2024/01/01")
    assert date.status_code == 400 and "reserved JQL character" in date.json()["errorMessages"][0]
