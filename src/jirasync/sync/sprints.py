"""Sprint membership derived from the issues themselves: the Sprint custom field
(schema ``com.pyxis.greenhopper.jira:gh-sprint``) every issue carries.

``memberships(issues, field_ids)`` is written in the transaction of the page that commits the
issues (``jirasync.sync.sink.commit_page``), so an issue's sprint list is never older or newer than
the issue row. Each issue's list is complete: a sprint no longer in it (the issue was moved to
another sprint or to the backlog, or its field was emptied) gets ``deleted_at``.

Values: Cloud sends a list of sprint objects (``{"id": 3, "name": …}``); Data Center (and old
Cloud) a list of ``com.atlassian.greenhopper.service.sprint.Sprint@…[id=3,rapidViewId=…]`` strings.
An issue whose JSON has no key for the field at all (the field is not in its field configuration)
keeps what is stored; a key with ``null`` means "in no sprint".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from jirasync.records import IssueRecord

_ID = re.compile(r"\[(?:.*?,)?id=(\d+)[,\]]")


def sprint_ids(value: Any) -> set[int]:
    """The sprint ids in one Sprint field value (objects, toString strings, bare ids; None = none)."""
    if value is None:
        return set()
    items = value if isinstance(value, list | tuple) else [value]
    out: set[int] = set()
    for item in items:
        if isinstance(item, dict):
            raw = item.get("id")
            if isinstance(raw, int | str) and not isinstance(raw, bool) and str(raw).isdigit():
                out.add(int(raw))
        elif isinstance(item, int) and not isinstance(item, bool):
            out.add(item)
        elif isinstance(item, str):
            found = _ID.search(item)
            if found:
                out.add(int(found.group(1)))
            elif item.isdigit():
                out.add(int(item))
    return out


def memberships(issues: Iterable[IssueRecord], field_ids: Sequence[str]) -> dict[int, set[int]]:
    """issue id -> its sprint ids, for the issues whose JSON carries one of the Sprint fields."""
    out: dict[int, set[int]] = {}
    for issue in issues:
        fields = (issue.raw or {}).get("fields")
        if not isinstance(fields, dict):  # no raw JSON kept: ``custom`` has the non-null values
            out[issue.id] = set().union(*(sprint_ids(issue.custom.get(f)) for f in field_ids))
            continue
        present = [f for f in field_ids if f in fields]
        if not present:
            continue  # the field is not on this issue's screens: keep what is stored
        out[issue.id] = set().union(*(sprint_ids(fields[f]) for f in present))
    return out
