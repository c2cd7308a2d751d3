"""Issues with their comments, worklogs, attachments and changelog histories, consistent with the
current values: the last status change ends at the current status, resolution is set iff the status
is in the done category (with ``resolution_date`` at that transition), ``updated`` is the time of
the last change. Shared values (documents, change items, label tuples) are reused by reference so
that 100k issues stay small."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from dataclasses import dataclass, replace
from typing import Any

from jiraemu.generator import blobs, catalog
from jiraemu.generator.catalog import DONE, IN_PROGRESS, IN_REVIEW, TODO, WONT_DO
from jiraemu.generator.common import DAY_MS, MINUTE_MS, Ctx, Weighted, maker, pick, ri, sub_rng
from jiraemu.generator.schemes import LEVEL_CONFIDENTIAL, LEVEL_INTERNAL
from jiraemu.state import (
    Attachment,
    ChangeItem,
    Comment,
    History,
    Issue,
    IssueLink,
    Project,
    Worklog,
)

VERBS = (
    "Fix", "Improve", "Add", "Remove", "Refactor", "Investigate", "Document", "Migrate", "Speed up",
    "Harden", "Upgrade", "Support", "Validate", "Retry", "Cache", "Log", "Test", "Rename",
)
THINGS = (
    "login flow", "webhook delivery", "CSV export", "search pagination", "billing report",
    "password reset", "rate limiter", "sync checkpoint", "user avatar upload", "dashboard filters",
    "audit log", "SSO callback", "email digest", "REST client", "mobile push", "time zone handling",
    "attachment preview", "issue importer", "release notes", "feature flags",
)
CONTEXTS = (
    "for EU customers", "on Safari", "after upgrade", "under load", "in staging", "for admins",
    "with unicode names", "when offline", "in the v3 API", "for large projects", "", "", "",
)
LABELS = (
    "backend", "frontend", "ux", "performance", "security", "tech-debt", "customer", "regression",
    "infra", "docs", "flaky-test", "needs-triage", "quick-win", "api", "Q3-goal",
)
TEAMS = ("Atlas", "Borealis", "Comet", "Delta", "Ember")
STATUS_WEIGHTS = ((TODO, 25), (IN_PROGRESS, 14), (IN_REVIEW, 7), (DONE, 42), (WONT_DO, 12))
PRIORITY_WEIGHTS = (("1", 5), ("2", 15), ("3", 55), ("4", 18), ("5", 7))
COMMENT_COUNT_WEIGHTS = (30, 20, 15, 10, 8, 6, 5, 3, 3)
TWO_YEARS_MS = 730 * DAY_MS
DEVELOPERS_ONLY = {"type": "role", "value": "Developers"}
# Issue has more fields than CPython shares dict keys for, so filling __dict__ directly costs no
# memory and saves a third of the constructor time; small records keep their normal constructor.
new_issue = maker(Issue)
PICK_STATUS = Weighted(STATUS_WEIGHTS)
PICK_PRIORITY = Weighted(PRIORITY_WEIGHTS)
PICK_COMMENTS = Weighted(list(enumerate(COMMENT_COUNT_WEIGHTS)))
PICK_LABELS = Weighted(((0, 40), (1, 35), (2, 18), (3, 7)))
PICK_COMPONENTS = Weighted(((0, 45), (1, 45), (2, 10)))


@dataclass
class TypeIds:
    epic: str
    standard: tuple[str, ...]
    standard_weights: tuple[int, ...]
    subtask: str
    bug: str
    standard_pick: Weighted[str]


def subsets(values: list[str], k: int) -> list[tuple[str, ...]]:
    """Every k-subset of ``values`` as a sorted tuple (shared by every issue that draws it)."""
    return [tuple(sorted(c)) for c in itertools.combinations(values, k)]


LABEL_SETS = [subsets(list(LABELS), k) for k in range(4)]


def spread(rng: random.Random, lo: int, span: int, n: int) -> list[int]:
    """``n`` sorted uniform times in [lo, lo + span]."""
    rand = rng.random
    out = [lo + int(rand() * (span + 1)) for _ in range(n)]
    out.sort()
    return out


@dataclass
class Walk:
    """Where a walk through the workflow ended, and the changes it made (when, author, items)."""

    status: str
    resolution: str | None
    resolved_at: int | None
    status_changed: int
    changes: list[tuple[int, str, tuple[ChangeItem, ...]]]


class Interner:
    """Shared immutable pieces: change items, item tuples, label tuples."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.items: dict[tuple[Any, ...], ChangeItem] = {}
        self.tuples: dict[tuple[Any, ...], tuple[Any, ...]] = {}

    def item(self, field: str, field_id: str, from_: str | None, from_s: str | None, to: str | None, to_s: str | None) -> ChangeItem:
        k = (field, from_, to)
        got = self.items.get(k)
        if got is None:
            got = self.items[k] = ChangeItem(field, "jira", field_id, from_, from_s, to, to_s)
        return got

    def tup(self, values: tuple[Any, ...]) -> tuple[Any, ...]:
        return self.tuples.setdefault(values, values)

    def status(self, a: str, b: str) -> ChangeItem:
        st = self.ctx.state.statuses
        return self.item("status", "status", a, st[a].name, b, st[b].name)

    def resolution(self, a: str | None, b: str | None) -> ChangeItem:
        rs = self.ctx.state.resolutions
        return self.item("resolution", "resolution", a, rs[a].name if a else None, b, rs[b].name if b else None)

    def assignee(self, a: str | None, b: str | None) -> ChangeItem:
        us, cloud = self.ctx.state.users, self.ctx.cloud
        # Cloud records account ids, DC user names (as the issues area's writes do)
        ua, ub = (us[a] if a else None), (us[b] if b else None)
        return self.item(
            "assignee", "assignee",
            (ua.account_id if cloud else ua.name) if ua else None, ua.display_name if ua else None,
            (ub.account_id if cloud else ub.name) if ub else None, ub.display_name if ub else None,
        )

    def attachment(self, a: Attachment) -> ChangeItem:
        return ChangeItem("Attachment", "jira", "attachment", None, None, str(a.id), a.filename)

    def priority(self, a: str, b: str) -> ChangeItem:
        ps = self.ctx.state.priorities
        return self.item("priority", "priority", a, ps[a].name, b, ps[b].name)


def status_path(rng: random.Random, target: str) -> list[str]:
    """Statuses entered after creation (in To Do), following the workflow's transitions."""
    if target == TODO:
        return [IN_PROGRESS, TODO] if rng.random() < 0.1 else []
    if target == IN_PROGRESS:
        return [IN_PROGRESS]
    if target == IN_REVIEW:
        return [IN_PROGRESS, IN_REVIEW, IN_PROGRESS, IN_REVIEW] if rng.random() < 0.1 else [IN_PROGRESS, IN_REVIEW]
    if target == DONE:
        path = [IN_PROGRESS, DONE] if rng.random() < 0.2 else [IN_PROGRESS, IN_REVIEW, DONE]
        if rng.random() < 0.08:  # reopened once
            path = [IN_PROGRESS, IN_REVIEW, DONE, TODO, *path]
        return path
    return [WONT_DO] if rng.random() < 0.6 else [IN_PROGRESS, WONT_DO]


class IssueBuilder:
    def __init__(self, ctx: Ctx, sprints: dict[int, list[int]]) -> None:
        self.ctx = ctx
        self.state = ctx.state
        self.rng = sub_rng(ctx.seed, "issues")
        self.sprints = sprints
        self.intern = Interner(ctx)
        self.samples = blobs.register_samples(self.state)
        self.app = ctx.special["app"]
        self.inactive = ctx.special["inactive"]
        self.developers = ctx.special["developers"]
        self.developer_set = frozenset(self.developers)
        self.fields = {f.kind: f for f in self.state.fields.values() if f.custom}
        self.dates: dict[int, str] = {}
        self.component_sets: dict[int, list[list[tuple[str, ...]]]] = {}
        self.env_sets: list[tuple[str, ...]] | None = None
        self.last_bound = 0
        self.prio_ids = [p for p, _ in PRIORITY_WEIGHTS]

    # -- distribution ---------------------------------------------------------------------------
    def counts(self) -> list[tuple[Project, int]]:
        projects = list(self.state.projects.values())
        total = max(0, self.ctx.config.issues)
        weights = [1.0 / (i + 1) for i in range(len(projects))]
        scale = sum(weights)
        counts = [int(total * w / scale) for w in weights]
        counts[0] += total - sum(counts)
        return list(zip(projects, counts, strict=True))

    def types_for(self, project: Project) -> TypeIds:
        types = [self.state.issue_types[t] for t in project.issue_type_ids]
        epic = next(t.id for t in types if t.hierarchy_level == 1)
        sub = next(t.id for t in types if t.subtask)
        std = tuple(t.id for t in types if t.hierarchy_level == 0)
        bug = next((t.id for t in types if t.name == "Bug"), std[0])
        weights = tuple({"Task": 35, "Story": 40, "Bug": 25}.get(self.state.issue_types[t].name, 20) for t in std)
        return TypeIds(epic, std, weights, sub, bug, Weighted(list(zip(std, weights, strict=True))))

    # -- build ----------------------------------------------------------------------------------
    def build(self) -> None:
        rng = self.rng
        now = self.ctx.now
        counts = self.counts()
        heavy: set[tuple[int, int]] = set()
        first, first_count = counts[0] if counts else (None, 0)
        if first is not None and self.ctx.config.issues >= 20 and first_count >= 2:
            heavy = {(first.id, n) for n in rng.sample(range(first_count), 2)}
        recent_every = max(1, sum(c for _, c in counts) // max(3, sum(c for _, c in counts) // 150))
        ordinal = 0
        for project, count in counts:
            types = self.types_for(project)
            members = self.ctx.members[project.id]
            created_times = sorted(ri(rng, now - TWO_YEARS_MS, now - 10 * MINUTE_MS) for _ in range(count))
            epics: list[int] = []
            parent: Issue | None = None
            subtasks_left, secured = 0, 0
            made: list[Issue] = []
            for n in range(count):
                created = created_times[n]
                ordinal += 1
                is_heavy = (project.id, n) in heavy
                if is_heavy:  # heavy issues stay visible to every member: no sub-task of a restricted parent
                    subtasks_left = 0
                if subtasks_left > 0 and parent is not None:
                    issuetype, parent_id, level = types.subtask, parent.id, parent.security_level_id
                    subtasks_left -= 1
                elif rng.random() < 0.05 or (n == 0 and count >= 10):
                    issuetype, parent_id, level = types.epic, None, None
                    parent = None
                else:
                    issuetype = types.standard_pick(rng)
                    parent_id = pick(rng, epics) if epics and rng.random() < 0.4 else None
                    # at least two restricted issues wherever a security scheme applies
                    level = self._level(project, force=secured < 2 and n >= count // 2)
                    parent = None
                if is_heavy:
                    level = None
                secured += level is not None
                recent = ordinal % recent_every == 0
                issue = self.issue(project, issuetype, parent_id, level, created, members, types, is_heavy, recent, parent)
                self.state.put_issue(issue)
                if issuetype == types.epic:
                    epics.append(issue.id)
                elif issuetype != types.subtask and rng.random() < 0.2:
                    parent, subtasks_left = issue, ri(rng, 1, 3)
                made.append(issue)
            if project.security_scheme_id is not None and secured < 2:
                self.restrict_more(made, types, heavy_ids={i.id for i in made if len(i.comments) > 100})
        self.links()
        self.properties()

    def restrict_more(self, made: list[Issue], types: TypeIds, heavy_ids: set[int]) -> None:
        """Small projects: give two more standard issues (and their sub-tasks) a security level."""
        candidates = [i for i in made if i.issuetype_id in types.standard and not i.security_level_id and i.id not in heavy_ids]
        for chosen in candidates[-2:]:
            self.state.put_issue(replace(chosen, security_level_id=LEVEL_INTERNAL))
            for sub in made:
                if sub.parent_id == chosen.id and sub.issuetype_id == types.subtask:
                    self.state.put_issue(replace(sub, security_level_id=LEVEL_INTERNAL))

    def _level(self, project: Project, force: bool) -> str | None:
        if project.security_scheme_id is None or (self.rng.random() >= 0.1 and not force):
            return None
        return LEVEL_INTERNAL if self.rng.random() < 0.7 else LEVEL_CONFIDENTIAL

    def issue(
        self,
        project: Project,
        issuetype: str,
        parent_id: int | None,
        level: str | None,
        created: int,
        members: list[str],
        types: TypeIds,
        heavy: bool,
        recent: bool,
        sprint_parent: Issue | None = None,
    ) -> Issue:
        rng, now, it = self.rng, self.ctx.now, self.intern
        iid = self.state.ids.next("issue", 10000)
        reporter = self.inactive[0] if rng.random() < 0.03 and created < now - 365 * DAY_MS else pick(rng, members)
        assignee = pick(rng, members) if rng.random() < 0.8 else None
        target = PICK_STATUS(rng)
        path = status_path(rng, target)
        priority = PICK_PRIORITY(rng)
        n_comments = ri(rng, 105, 130) if heavy else PICK_COMMENTS(rng)
        assign_change = assignee is not None and rng.random() < 0.6
        bound = self.updated_bound(created, recent, bool(path or n_comments or assign_change))
        edit = recent or (not path and not n_comments and not assign_change and bound > created and rng.random() < 0.5)
        if not (path or n_comments or assign_change or edit):
            bound = created
        n_hist = len(path) + assign_change + edit
        span = max(1, bound - created)
        hist_times = spread(rng, created + 1, span - 1, n_hist)  # in (created, bound]
        com_times = spread(rng, created + 1, span - 1, n_comments)
        if hist_times and (not com_times or hist_times[-1] >= com_times[-1]):
            hist_times[-1] = bound
        elif com_times:
            com_times[-1] = bound
        # histories
        planned: list[tuple[int, str, tuple[ChangeItem, ...]]] = []  # (when, author, items)
        ti = 0
        author_pool = members
        if assign_change:
            prev = pick(rng, members) if rng.random() < 0.25 else None
            if prev == assignee:
                prev = None
            planned.append((hist_times[ti], pick(rng, author_pool), (it.assignee(prev, assignee),)))
            ti += 1
        walk = self.walk(path, self._resolution(target), hist_times[ti:], created, assignee, members)
        planned.extend(walk.changes)
        ti += len(path)
        current, resolution, res_date = walk.status, walk.resolution, walk.resolved_at
        if edit:
            old = pick(rng, [p for p in self.prio_ids if p != priority])
            planned.append((hist_times[ti], pick(rng, author_pool), (it.priority(old, priority),)))
        comments = self.comments(com_times, members, bound)
        worklogs = self.worklogs(created, bound, assignee, members) if rng.random() < 0.2 else ()
        attachments = self.attachments(created, bound, members) if rng.random() < 0.1 else ()
        original = pick(rng, (4, 8, 16, 24, 40)) * 3600 if worklogs or rng.random() < 0.2 else None
        remaining = original
        if attachments or worklogs:
            planned.extend((a.created, a.author_id, (it.attachment(a),)) for a in attachments)
            remaining = self.worklog_changes(worklogs, original, planned)
            planned.sort(key=lambda p: p[0])
        histories = tuple(self.history(author, when, items) for when, author, items in planned)
        self.last_bound = bound
        is_bug = issuetype == types.bug
        return new_issue(
            id=iid,
            key=f"{project.key}-{self.state.ids.next(f'issuekey:{project.id}', 1)}",
            project_id=project.id,
            issuetype_id=issuetype,
            summary=self.summary(),
            status_id=current,
            creator_id=self.app[0] if self.app and rng.random() < 0.03 else reporter,  # automation files some
            reporter_id=reporter,
            assignee_id=assignee,
            created=created,
            updated=bound,
            description=self.ctx.pool.description(rng) if rng.random() < 0.85 else None,
            environment=self.ctx.pool.comment(rng) if is_bug and rng.random() < 0.1 else None,
            priority_id=priority,
            resolution_id=resolution,
            resolution_date=res_date,
            status_changed=walk.status_changed,
            duedate=self.ymd(created + ri(rng, 7, 60) * DAY_MS) if rng.random() < 0.15 else None,
            labels=self.labels(),
            component_ids=self.components(project),
            fix_version_ids=self.fix_versions(project, resolution is not None),
            affects_version_ids=self.affects(project) if is_bug else (),
            parent_id=parent_id,
            security_level_id=level,
            original_estimate_s=original,
            remaining_estimate_s=remaining,
            custom=self.custom(project, issuetype, types, created, res_date, sprint_parent),
            comments=comments,
            worklogs=worklogs,
            attachments=attachments,
            histories=histories,
        )

    def updated_bound(self, created: int, recent: bool, has_changes: bool) -> int:
        """When the issue last changed: mostly soon after creation, a few today or in the last
        15 minutes, some on a whole minute, some equal to the previous issue's (cursor ties)."""
        rng, now = self.rng, self.ctx.now
        if recent:
            bound = max(created + 1000, now - ri(rng, 0, 14 * MINUTE_MS))
        else:
            bound = now - ri(rng, 0, DAY_MS) if rng.random() < 0.03 else created + int((now - created) * rng.random() ** 3)
            bound = max(created, bound)
            if rng.random() < 0.05:
                bound = max(created, bound // MINUTE_MS * MINUTE_MS)
            elif rng.random() < 0.03 and created <= self.last_bound <= now:
                bound = self.last_bound
        if has_changes and bound <= created:
            bound = min(now, created + ri(rng, MINUTE_MS, 3 * DAY_MS))
        return bound

    def walk(
        self, path: list[str], final_resolution: str, times: list[int], created: int, assignee: str | None, members: list[str]
    ) -> Walk:
        """The status changes along ``path`` (one per time), setting the resolution on entering a
        done status and clearing it on leaving one, as Jira's simplified workflow does."""
        it, rng = self.intern, self.rng
        walk = Walk(TODO, None, None, created, [])
        for k, (step, when) in enumerate(zip(path, times, strict=False)):
            items: tuple[ChangeItem, ...]
            if step in (DONE, WONT_DO):
                res = final_resolution if k == len(path) - 1 else (catalog.RES_DONE if step == DONE else catalog.RES_WONT_DO)
                items = it.tup((it.status(walk.status, step), it.resolution(None, res)))
                walk.resolution, walk.resolved_at = res, when
            elif walk.resolution is not None:
                items = it.tup((it.status(walk.status, step), it.resolution(walk.resolution, None)))
                walk.resolution, walk.resolved_at = None, None
            else:
                items = (it.status(walk.status, step),)
            walk.changes.append((when, assignee or pick(rng, members), items))
            walk.status, walk.status_changed = step, when
        return walk

    def worklog_changes(
        self,
        worklogs: tuple[Worklog, ...], original: int | None, planned: list[tuple[int, str, tuple[ChangeItem, ...]]]
    ) -> int | None:
        """Changelog entries for logged work (time spent, worklog id, remaining estimate reduced
        automatically, as the issues area records them); returns the remaining estimate."""
        spent, remaining = 0, original
        for w in worklogs:
            before, spent = spent, spent + w.time_spent_seconds
            old = str(before) if before else None
            wid = str(w.id)
            items = [
                self.intern.item("timespent", "timespent", old, old, str(spent), str(spent)),
                ChangeItem("WorklogId", "jira", "WorklogId", None, None, wid, wid),
            ]
            if remaining is not None and remaining > 0:
                after = max(0, remaining - w.time_spent_seconds)
                items.append(self.intern.item("timeestimate", "timeestimate", str(remaining), str(remaining), str(after), str(after)))
                remaining = after
            planned.append((w.created, w.author_id, tuple(items)))
        return remaining

    def history(self, author: str, when: int, items: tuple[ChangeItem, ...]) -> History:
        return History(id=self.state.ids.next("history", 10000), author_id=author, created=when, items=items)

    def _resolution(self, target: str) -> str:
        r = self.rng.random()
        if target == WONT_DO:
            return catalog.RES_DUPLICATE if r < 0.25 else catalog.RES_WONT_DO
        return catalog.RES_CANNOT_REPRODUCE if r < 0.05 else catalog.RES_DUPLICATE if r < 0.1 else catalog.RES_DONE

    # -- parts ----------------------------------------------------------------------------------
    def summary(self) -> str:
        rng = self.rng
        ctx = pick(rng, CONTEXTS)
        text = f"{pick(rng, VERBS)} {pick(rng, THINGS)}"
        return f"{text} {ctx}" if ctx else text

    def labels(self) -> tuple[str, ...]:
        k = PICK_LABELS(self.rng)
        return pick(self.rng, LABEL_SETS[k]) if k else ()

    def components(self, project: Project) -> tuple[str, ...]:
        k = PICK_COMPONENTS(self.rng)
        if not k or not project.components:
            return ()
        sets = self.component_sets.get(project.id)
        if sets is None:
            ids = [c.id for c in project.components]
            sets = self.component_sets[project.id] = [subsets(ids, n) for n in range(3)]
        return pick(self.rng, sets[k])

    def fix_versions(self, project: Project, resolved: bool) -> tuple[str, ...]:
        pool = [v.id for v in project.versions if v.released == resolved]
        if pool and self.rng.random() < (0.5 if resolved else 0.2):
            return (pick(self.rng, pool),)
        return ()

    def affects(self, project: Project) -> tuple[str, ...]:
        pool = [v.id for v in project.versions if v.released]
        return (pick(self.rng, pool),) if pool and self.rng.random() < 0.3 else ()

    def ymd(self, epoch_ms: int) -> str:
        day = epoch_ms // DAY_MS
        got = self.dates.get(day)
        if got is None:
            got = self.dates[day] = dt.datetime.fromtimestamp(day * 86400, tz=dt.UTC).strftime("%Y-%m-%d")
        return got

    def comments(self, times: list[int], members: list[str], bound: int) -> tuple[Comment, ...]:
        rng, out = self.rng, []
        rand, next_id, body = rng.random, self.state.ids.next, self.ctx.pool.comment
        app, developers, n_members = (self.app[0] if self.app else None), self.developer_set, len(members)
        for when in times:
            author = app if app and rand() < 0.03 else members[int(rand() * n_members)]
            updated = when if rand() < 0.9 else when + int(rand() * (bound - when + 1))
            # restricted comments come from developers, who can see what they restrict
            visibility = dict(DEVELOPERS_ONLY) if author in developers and rand() < 0.06 else None
            out.append(
                Comment(
                    id=next_id("comment", 10000),
                    author_id=author,
                    body=body(rng),
                    created=when,
                    updated=updated,
                    update_author_id=author,
                    visibility=visibility,
                )
            )
        return tuple(out)

    def worklogs(self, created: int, bound: int, assignee: str | None, members: list[str]) -> tuple[Worklog, ...]:
        rng, out = self.rng, []
        for when in spread(rng, created, max(0, bound - created), ri(rng, 1, 3)):
            spent = pick(rng, (900, 1800, 3600, 7200, 14400, 28800))
            author = assignee if assignee and rng.random() < 0.7 else pick(rng, members)
            started = max(created, when - spent * 1000 - ri(rng, 0, 7200) * 1000)
            comment = self.ctx.pool.comment(rng) if rng.random() < 0.4 else None
            out.append(Worklog(self.state.ids.next("worklog", 10000), author, started, spent, when, when, author, comment))
        return tuple(out)

    def attachments(self, created: int, bound: int, members: list[str]) -> tuple[Attachment, ...]:
        rng, out = self.rng, []
        for when in spread(rng, created, max(0, bound - created), ri(rng, 1, 3)):
            filename, mime, size, digest = pick(rng, self.samples)
            out.append(Attachment(self.state.ids.next("attachment", 10000), filename, pick(rng, members), when, size, mime, digest))
        return tuple(out)

    def custom(
        self,
        project: Project,
        issuetype: str,
        types: TypeIds,
        created: int,
        resolved_at: int | None,
        parent: Issue | None,
    ) -> tuple[tuple[str, Any], ...]:
        rng, f = self.rng, self.fields
        values: list[tuple[str, Any]] = []
        standard = issuetype in types.standard
        sprints = self.sprints.get(project.id)
        if issuetype == types.subtask:  # sub-tasks share their parent's sprints
            inherited = parent.custom_value(f["sprint"].id) if parent is not None and "sprint" in f else None
            if inherited:
                values.append((f["sprint"].id, inherited))
        elif sprints and issuetype != types.epic and rng.random() < 0.5:
            in_sprints = self.sprint_value(sprints, created, resolved_at)
            if in_sprints:
                values.append((f["sprint"].id, in_sprints))
        if rng.random() < 0.5:
            if standard and "storypoints" in f and rng.random() < 0.6:
                values.append((f["storypoints"].id, float(pick(rng, (1, 2, 3, 5, 8, 13)))))
            if "text" in f and rng.random() < 0.4:
                values.append((f["text"].id, f"Team {pick(rng, TEAMS)}"))
            if "select" in f and (issuetype == types.bug or rng.random() < 0.1):
                values.append((f["select"].id, pick(rng, f["select"].options).id))
            if "multiselect" in f and rng.random() < 0.25:
                opts = f["multiselect"].options
                if self.env_sets is None:
                    ids = [o.id for o in opts]
                    self.env_sets = subsets(ids, 1) + subsets(ids, 2)
                values.append((f["multiselect"].id, pick(rng, self.env_sets)))
            if "userpicker" in f and rng.random() < 0.25:
                values.append((f["userpicker"].id, pick(rng, self.developers)))
            if "date" in f and rng.random() < 0.2:
                values.append((f["date"].id, self.ymd(self.ctx.now + ri(rng, -90, 120) * DAY_MS)))
            if "textarea" in f and rng.random() < 0.15:
                values.append((f["textarea"].id, self.ctx.pool.comment(rng)))
        values.sort(key=lambda kv: kv[0])
        return tuple(values)

    def sprint_value(self, sprints: list[int], created: int, resolved_at: int | None) -> tuple[int, ...] | None:
        """Sprints consistent with the issue's dates: a resolved issue ends in the sprint that was
        running when it was resolved (sometimes carried over from the one before); an open one
        sits in the active or future sprint."""
        closed1, closed2, active, future = sprints
        ends = {sid: self.state.sprints[sid].end or 0 for sid in sprints}
        r = self.rng.random()
        if resolved_at is None:
            if r < 0.2 and created < ends[closed2]:
                return self.intern.tup((closed2, active))
            return (active,) if r < 0.7 else (future,)
        if resolved_at <= (self.state.sprints[closed1].start or 0):
            return None
        for earlier, sid in ((None, closed1), (closed1, closed2), (closed2, active)):
            if resolved_at <= ends[sid]:
                if earlier is not None and r < 0.2 and created < ends[earlier]:
                    return self.intern.tup((earlier, sid))
                return (sid,)
        return (active,)

    def links(self) -> None:
        ids = list(self.state.issues)
        if len(ids) < 2:
            return
        rng, seen = self.rng, set()
        pick_link = Weighted(list(zip(self.state.link_types, (35, 10, 15, 40), strict=False)))
        for _ in range(max(2, len(ids) // 20)):
            a, b = rng.sample(ids, 2)
            t = pick_link(rng)
            if (a, b, t) in seen:
                continue
            seen.add((a, b, t))
            lid = self.state.ids.next("issuelink", 10000)
            self.state.links[lid] = IssueLink(lid, t, a, b)

    def properties(self) -> None:
        ids = list(self.state.issues)
        if not ids:
            return
        for iid in self.rng.sample(ids, min(len(ids), max(2, len(ids) // 100))):
            issue = self.state.issues[iid]
            value = {"origin": "jiraemu-generator", "score": ri(self.rng, 1, 100), "tags": ["seeded"]}
            self.state.put_issue(replace(issue, properties=(("sync.meta", value),)))


def build_issues(ctx: Ctx, sprints: dict[int, list[int]]) -> None:
    IssueBuilder(ctx, sprints).build()
