"""Push: upsert Jira issues from a user's records, exactly once per external id.

::

    from jirasync.connections import Connections
    from jirasync.push import Pusher, PushRecord

    pusher = Pusher(Connections.open(), "acme", "SEC", issue_type="Bug", prefix="scanner")
    report = asyncio.run(pusher.upsert([PushRecord("F-1", {"summary": "SQL injection"}, status="To Do")]))
"""

from jirasync.push.engine import Pusher, PushOptions
from jirasync.push.mapping import FieldMap, Mapping
from jirasync.push.plan import Action, Remote, plan_push, plan_record
from jirasync.push.records import PushComment, PushRecord, PushReport, RecordResult

__all__ = [
    "Action", "FieldMap", "Mapping", "PushComment", "PushOptions", "PushRecord", "PushReport", "Pusher",
    "RecordResult", "Remote", "plan_push", "plan_record",
]
