"""Typed records parsed from Jira JSON: values, timestamps and the errors that name what is wrong."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jirasync.exceptions import RecordError
from jirasync.records import HistoryRecord, IssueRecord, embedded_page_short, parse_time


def issue(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "project": {"id": "10000", "key": "SEC"}, "updated": "2026-01-02T03:04:05.678-0700",
        "created": "2026-01-01T00:00:00.000+0000", "summary": "A summary", "labels": ["a", "b"],
        "status": {"id": "3", "name": "In Progress", "statusCategory": {"key": "indeterminate"}},
        "comment": {"total": 1, "comments": [{
            "id": "7", "author": {"accountId": "acc-1"}, "body": "hello",
            "created": "2026-01-01T00:00:00.000+0000", "updated": "2026-01-01T00:00:00.000+0000"}]},
        "customfield_10001": 5, "customfield_10002": None,
    }
    base.update(fields)
    return {"id": "10002", "key": "SEC-2", "fields": base}


def test_issue_fields_are_typed() -> None:
    rec = IssueRecord.from_json(issue(), True, str.upper)
    assert (rec.id, rec.key, rec.project_id, rec.status_id, rec.status_category) == (10002, "SEC-2", 10000, 3,
                                                                                       "indeterminate")
    assert rec.updated == datetime(2026, 1, 2, 10, 4, 5, 678000, tzinfo=UTC)
    assert rec.updated_ms == 1767348245678
    assert rec.labels == ("a", "b") and rec.custom == {"customfield_10001": 5}
    (comment,) = rec.comments
    assert (comment.id, comment.issue_id, comment.author_id, comment.body_md) == (7, 10002, "acc-1", "HELLO")
    assert comment.created == comment.updated == datetime(2026, 1, 1, tzinfo=UTC)
    assert rec.comments_complete


@pytest.mark.parametrize(("fields", "message"), [
    ({"updated": None}, "issue 10002: fields.updated: missing"),
    ({"updated": "yesterday"}, "issue 10002: fields.updated: expected a timestamp like"),
    ({"updated": "2026-01-02T03:04:05"}, "issue 10002: fields.updated: timestamp '2026-01-02T03:04:05' has no UTC"),
    ({"project": {"id": "x", "key": "SEC"}}, "issue 10002: fields.project.id: expected an integer, got 'x'"),
    ({"status": {"id": True}}, "issue 10002: fields.status.id: expected an integer, got True"),
    ({"summary": {"a": 1}}, "issue 10002: fields.summary: expected a string, got dict"),
    ({"labels": [1]}, "issue 10002: fields.labels[0]: expected a name, got 1"),
    ({"assignee": {"name": "jdoe"}}, "issue 10002: fields.assignee: a user without accountId"),
    ({"comment": {"comments": [{"id": "7", "created": "soon"}]}},
     "issue 10002: fields.comment[0].created: expected a timestamp like"),
    ({"attachment": [[]]}, "issue 10002: fields.attachment[0].(record): expected a JSON object, got list"),
])
def test_errors_name_the_issue_and_the_full_path(fields: dict[str, Any], message: str) -> None:
    data = issue(**fields)
    with pytest.raises(RecordError) as caught:
        IssueRecord.from_json(data, True)
    assert str(caught.value).startswith(message)
    assert caught.value.raw is data  # the whole issue goes to the dead-letter table


def test_the_same_bad_timestamp_fails_every_time() -> None:
    for _ in range(3):
        with pytest.raises(ValueError, match="no UTC offset"):
            parse_time("2026-01-02T03:04:05")
    assert parse_time("2026-01-02T03:04:05+0100") == parse_time("2026-01-02T02:04:05Z")
    assert parse_time(1767348245678) == datetime(2026, 1, 2, 10, 4, 5, 678000, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_time(["2026-01-02T03:04:05Z"])


def test_parsing_leaves_the_json_untouched() -> None:
    data = issue()
    before = copy.deepcopy(data)
    rec = IssueRecord.from_json(data, True, str.upper)
    assert data == before and rec.raw is data and rec.comments[0].raw is data["fields"]["comment"]["comments"][0]


def test_change_items_keep_values_as_text() -> None:
    data = {"id": "5", "author": {"key": "jdoe"}, "created": "2026-01-01T00:00:00.000+0000",
            "items": [{"field": "Story Points", "fieldtype": "custom", "from": 3, "fromString": "3",
                       "to": None, "toString": None},
                      {"field": "status", "fieldId": "status", "from": "1", "to": "3"}]}
    rec = HistoryRecord.from_json(10002, data, False)
    assert (rec.id, rec.issue_id, rec.author_id) == (5, 10002, "jdoe")
    first, second = rec.items
    assert (first.seq, first.from_value, first.to_value, first.field_type) == (0, "3", None, "custom")
    assert (second.seq, second.field_id, second.from_value, second.to_value) == (1, "status", "1", "3")


def test_change_item_without_a_field_is_an_error() -> None:
    with pytest.raises(RecordError, match=r"changelog 5: items\[1\]\.field: missing"):
        HistoryRecord.from_json(1, {"id": "5", "items": [{"field": "a"}, {"from": "x"}]}, True)


_COMMENT = {"id": "7", "body": "hi", "created": "2026-01-01T00:00:00.000+0000"}


@settings(max_examples=200, deadline=None)
@given(st.one_of(
    st.none(),
    st.lists(st.just(_COMMENT), max_size=3),
    st.builds(lambda n, total: {"comments": [_COMMENT] * n, **({} if total is None else {"total": total})},
              st.integers(0, 3), st.one_of(st.none(), st.integers(0, 5), st.booleans())),
))
def test_the_raw_short_page_rule_is_the_records_complete_rule(page: Any) -> None:
    """The sync decides from raw JSON which issues need their comment pages read; the parsed record
    says whether its embedded page was complete: the two never disagree."""
    fields = issue(comment=page)["fields"]
    if page is None:
        del fields["comment"]
    rec = IssueRecord.from_json({"id": "10002", "key": "SEC-2", "fields": fields}, True)
    assert embedded_page_short(fields, "comment", "comments") == (not rec.comments_complete)
