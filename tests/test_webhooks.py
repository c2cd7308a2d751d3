"""Webhooks over real HTTP: admin webhooks (JQL filter, HMAC signature, excludeBody, retries) and
dynamic app webhooks (register, refresh, expiry, failed list, JWT), delivered to the emulator's own
built-in receiver (``/_emulator/webhook-receiver/{name}``)."""

from __future__ import annotations

import hashlib
import hmac
import warnings
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from jiraemu import EmulatorServer
from jiraemu.events import ISSUE_UPDATED, WORKLOG_CREATED, Event
from tests.conftest import basic

ADMIN = "/rest/webhooks/1.0/webhook"
CLIENT = {"client_id": "emulator-client-id", "client_secret": "emulator-client-secret"}
REDIRECT = "http://127.0.0.1:8765/callback"
FAST_RETRIES = [0.05, 0.05, 0.05]
DAY_MS = 24 * 3600 * 1000


@pytest.fixture
def emu(emulator: Callable[..., EmulatorServer]) -> EmulatorServer:
    return emulator(flavor="cloud", webhook_retry_delays_s=list(FAST_RETRIES), webhook_timeout_s=2.0)


@pytest.fixture
def admin(emu: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emu.url, headers=basic("admin@example.com", "emulator-token"), timeout=20) as c:
        yield c


@pytest.fixture
def control(emu: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emu.url + "/_emulator", timeout=30) as c:
        yield c


def receiver_url(emu: EmulatorServer, name: str) -> str:
    return f"{emu.url}/_emulator/webhook-receiver/{name}"


def received(control: httpx.Client, name: str, count: int) -> list[dict[str, Any]]:
    r = control.get(f"/webhook-receiver/{name}", params={"count": count, "wait_s": 10})
    assert r.status_code == 200
    requests: list[dict[str, Any]] = r.json()["requests"]
    return requests


def settle(control: httpx.Client) -> dict[str, Any]:
    r = control.get("/webhooks/deliveries", params={"wait_s": 10})
    assert r.json()["idle"], r.text
    assert r.json()["errors"] == [], r.json()["errors"]
    result: dict[str, Any] = r.json()
    return result


def mutate(control: httpx.Client, **op: Any) -> dict[str, Any]:
    r = control.post("/mutate", json=op)
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()["result"]
    return result


def create_admin_hook(admin: httpx.Client, **body: Any) -> dict[str, Any]:
    r = admin.post(ADMIN, json=body)
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    return created


# -- admin webhooks -------------------------------------------------------------------------------
def test_admin_webhook_crud_keeps_jira_shape(emu: EmulatorServer, admin: httpx.Client) -> None:
    hook = create_admin_hook(
        admin,
        name="sync",
        url=receiver_url(emu, "crud"),
        events=["jira:issue_created", "jira:issue_updated"],
        filters={"issue-related-events-section": "project = SEC"},
        excludeBody=False,
        secret="s3cret",
    )
    assert set(hook) >= {"name", "url", "excludeBody", "filters", "events", "enabled", "self", "lastUpdatedUser", "lastUpdated"}
    assert "secret" not in hook
    hook_id = hook["self"].rsplit("/", 1)[1]
    assert admin.get(f"{ADMIN}/{hook_id}").json()["filters"] == {"issue-related-events-section": "project = SEC"}
    r = admin.put(f"{ADMIN}/{hook_id}", json={"enabled": False, "events": ["jira:issue_deleted"]})
    assert r.status_code == 200 and r.json()["enabled"] is False and r.json()["events"] == ["jira:issue_deleted"]
    assert r.json()["name"] == "sync"  # a PUT changes only what it names
    assert emu.backend.webhooks.store.admin[int(hook_id)].secret == "s3cret"  # kept when the PUT omits it
    assert [h["self"] for h in admin.get(ADMIN).json()] == [hook["self"]]
    assert admin.delete(f"{ADMIN}/{hook_id}").status_code == 204
    assert admin.get(f"{ADMIN}/{hook_id}").status_code == 404
    assert admin.get(ADMIN).json() == []


def test_admin_webhooks_need_admin_and_a_url(emu: EmulatorServer, admin: httpx.Client, control: httpx.Client) -> None:
    user = next(u for u in control.get("/users").json() if not u["admin"] and u["active"] and u["apiToken"])
    r = httpx.get(emu.url + ADMIN, headers=basic(user["email"], user["apiToken"]))
    assert r.status_code == 403 and r.json()["errorMessages"]
    r = admin.post(ADMIN, json={"name": "no url", "events": []})
    assert r.status_code == 400 and "url" in r.json()["errors"]
    r = admin.post(ADMIN, json={"name": "bad jql", "url": "http://127.0.0.1:9/x", "filters": {"issue-related-events-section": "project = = SEC"}})
    assert r.status_code == 400 and "filters" in r.json()["errors"]


def test_admin_webhook_jql_filter_delivers_matching_issues_only(
    emu: EmulatorServer, admin: httpx.Client, control: httpx.Client
) -> None:
    create_admin_hook(
        admin,
        name="sec only",
        url=receiver_url(emu, "sec"),
        events=["jira:issue_created", "jira:issue_updated"],
        filters={"issue-related-events-section": "project = SEC"},
    )
    if not emu.backend.webhooks.jql_available:
        pytest.skip("jiraemu.search.jql is not available: webhooks are delivered unfiltered")
    created = mutate(control, op="bulk_create", project="SEC", count=1, summary="webhook probe")["keys"][0]
    mutate(control, op="bulk_create", project="ENG", count=1, summary="not for this hook")
    mutate(control, op="update", issue=created, fields={"summary": "webhook probe, edited"})
    settle(control)
    bodies = [r["body"] for r in received(control, "sec", 2)]
    assert [(b["webhookEvent"], b["issue"]["key"]) for b in bodies] == [
        ("jira:issue_created", created),
        ("jira:issue_updated", created),
    ]
    created_body, updated_body = bodies
    assert created_body["issue_event_type_name"] == "issue_created"
    assert created_body["issue"]["self"].endswith(f"/rest/api/2/issue/{created_body['issue']['id']}")
    assert created_body["user"]["accountId"] == "557058:f0000000-0000-4000-8000-000000000001"
    assert isinstance(created_body["timestamp"], int)
    items = updated_body["changelog"]["items"]
    assert {"field": "summary", "fromString": "webhook probe 1", "toString": "webhook probe, edited"}.items() <= items[0].items()
    assert updated_body["issue"]["fields"]["summary"] == "webhook probe, edited"


def test_admin_webhook_signature_verifies_over_the_raw_body(
    emu: EmulatorServer, admin: httpx.Client, control: httpx.Client
) -> None:
    create_admin_hook(admin, name="signed", url=receiver_url(emu, "signed"), events=["jira:issue_created"], secret="top-secret")
    create_admin_hook(admin, name="plain", url=receiver_url(emu, "plain"), events=["jira:issue_created"])
    mutate(control, op="bulk_create", project="SEC", count=1)
    [signed] = received(control, "signed", 1)
    [plain] = received(control, "plain", 1)
    method, _, digest = signed["headers"]["x-hub-signature"].partition("=")
    assert method == "sha256"
    expected = hmac.new(b"top-secret", signed["raw"].encode(), hashlib.sha256).hexdigest()
    assert hmac.compare_digest(digest, expected)
    assert "x-hub-signature" not in plain["headers"]
    for req in (signed, plain):
        assert req["headers"]["user-agent"] == "Atlassian Webhook HTTP Client"
        assert req["headers"]["x-atlassian-webhook-identifier"]
        assert "x-atlassian-webhook-retry" not in req["headers"]


def test_exclude_body_sends_an_empty_post_and_url_variables_expand(
    emu: EmulatorServer, admin: httpx.Client, control: httpx.Client
) -> None:
    create_admin_hook(
        admin, name="bare", url=receiver_url(emu, "bare") + "?key=${issue.key}", events=["jira:issue_created"], excludeBody=True
    )
    key = mutate(control, op="bulk_create", project="ENG", count=1)["keys"][0]
    [req] = received(control, "bare", 1)
    assert req["raw"] == "" and req["query"] == f"key={key}"


def test_retries_on_5xx_keep_the_identifier_and_count_retries(
    emu: EmulatorServer, admin: httpx.Client, control: httpx.Client
) -> None:
    assert control.put("/webhook-receiver/flaky", json={"fail": 2, "status": 500}).status_code == 200
    create_admin_hook(admin, name="flaky", url=receiver_url(emu, "flaky"), events=["jira:issue_created"])
    mutate(control, op="bulk_create", project="SEC", count=1)
    requests = received(control, "flaky", 3)
    assert [r["answeredStatus"] for r in requests] == [500, 500, 200]
    assert len({r["headers"]["x-atlassian-webhook-identifier"] for r in requests}) == 1
    assert [r["headers"].get("x-atlassian-webhook-retry") for r in requests] == [None, "1", "2"]
    assert requests[0]["raw"] == requests[2]["raw"]
    [delivery] = settle(control)["deliveries"]
    assert delivery["state"] == "delivered" and [a["status"] for a in delivery["attempts"]] == [500, 500, 200]


def test_4xx_is_final_and_exhausted_retries_fail(emu: EmulatorServer, admin: httpx.Client, control: httpx.Client) -> None:
    control.put("/webhook-receiver/gone", json={"fail": 1, "status": 404})
    control.put("/webhook-receiver/down", json={"fail": 99, "status": 503})
    create_admin_hook(admin, name="gone", url=receiver_url(emu, "gone"), events=["jira:issue_created"])
    create_admin_hook(admin, name="down", url=receiver_url(emu, "down"), events=["jira:issue_created"])
    mutate(control, op="bulk_create", project="SEC", count=1)
    states = {d["webhookIds"][0]: (d["state"], len(d["attempts"])) for d in settle(control)["deliveries"]}
    assert states == {1: ("rejected", 1), 2: ("failed", 1 + len(FAST_RETRIES))}


def test_timeouts_are_retried_then_fail(emu: EmulatorServer, admin: httpx.Client, control: httpx.Client) -> None:
    control.post("/config", json={"webhook_timeout_s": 0.2})
    control.put("/webhook-receiver/slow", json={"delayMs": 600})
    create_admin_hook(admin, name="slow", url=receiver_url(emu, "slow"), events=["jira:issue_created"])
    mutate(control, op="bulk_create", project="SEC", count=1)
    [delivery] = settle(control)["deliveries"]
    assert delivery["state"] == "failed"
    assert [a["retry"] for a in delivery["attempts"]] == [0, 1, 2, 3]
    assert all("Timeout" in (a["error"] or "") for a in delivery["attempts"])


def test_comment_event_carries_comment_and_short_issue(
    emu: EmulatorServer, admin: httpx.Client, control: httpx.Client
) -> None:
    create_admin_hook(admin, name="comments", url=receiver_url(emu, "comments"), events=["comment_created"])
    result = mutate(control, op="comment", issue="SEC-3", body="webhook comment")
    [req] = received(control, "comments", 1)
    body = req["body"]
    assert body["webhookEvent"] == "comment_created"
    assert body["comment"]["id"] == result["commentId"] and "webhook comment" in body["comment"]["body"]
    assert body["issue"]["key"] == "SEC-3" and "summary" in body["issue"]["fields"]


def test_datacenter_admin_webhooks_use_user_names(dc: EmulatorServer) -> None:
    with httpx.Client(base_url=dc.url, headers={"Authorization": "Bearer emulator-pat"}) as c:
        r = c.post(ADMIN, json={"name": "dc", "url": "http://127.0.0.1:9/x", "events": ["jira:issue_updated"]})
        assert r.status_code == 201
        assert r.json()["lastUpdatedUser"] == "admin"
        assert r.json()["self"].startswith(dc.url + ADMIN + "/")
    with httpx.Client(base_url=dc.url, headers={"Authorization": "Bearer emulator-pat"}) as c:
        assert c.get("/rest/api/2/webhook").status_code == 404  # dynamic webhooks are Cloud only
        c.post(ADMIN, json={"name": "dc", "url": receiver_url(dc, "dc"), "events": ["jira:issue_created"], "secret": "k"})
    with httpx.Client(base_url=dc.url + "/_emulator", timeout=30) as control:
        key = mutate(control, op="bulk_create", project="SEC", count=1)["keys"][0]
        [req] = received(control, "dc", 1)
    body = req["body"]
    assert body["issue"]["key"] == key and body["user"]["name"] == "admin" and "accountId" not in body["user"]
    assert body["issue"]["self"] == f"{dc.url}/rest/api/2/issue/{body['issue']['id']}"
    assert req["headers"]["x-hub-signature"] == "sha256=" + hmac.new(b"k", req["raw"].encode(), hashlib.sha256).hexdigest()


# -- dynamic webhooks -----------------------------------------------------------------------------
def exchange(emu: EmulatorServer, scope: str) -> dict[str, Any]:
    """An OAuth 2.0 (3LO) consent for the admin and the code exchanged for tokens."""
    params = {
        "audience": "api.atlassian.com",
        "client_id": CLIENT["client_id"],
        "scope": scope,
        "redirect_uri": REDIRECT,
        "state": "s",
        "response_type": "code",
    }
    with httpx.Client(base_url=emu.backend.gateway_base, timeout=20) as c:
        r = c.get("/authorize", params=params)
        assert r.status_code == 302, r.text
        code = parse_qs(urlsplit(r.headers["location"]).query)["code"][0]
        r = c.post("/oauth/token", json={**CLIENT, "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT})
        assert r.status_code == 200, r.text
        tokens: dict[str, Any] = r.json()
        return tokens


def gateway(emu: EmulatorServer, access: str) -> httpx.Client:
    base = f"{emu.backend.gateway_base}/ex/jira/{emu.backend.state.site.cloud_id}"
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {access}"}, timeout=20)


@pytest.fixture
def app(emu: EmulatorServer) -> Iterator[httpx.Client]:
    tokens = exchange(emu, "read:jira-work manage:jira-webhook")
    with gateway(emu, tokens["access_token"]) as c:
        yield c


def test_basic_auth_callers_are_not_apps(admin: httpx.Client) -> None:
    for method, path, body in (
        ("GET", "/rest/api/3/webhook", None),
        ("POST", "/rest/api/3/webhook", {"url": "http://x", "webhooks": []}),
        ("PUT", "/rest/api/2/webhook/refresh", {"webhookIds": [1]}),
        ("GET", "/rest/api/3/webhook/failed", None),
    ):
        r = admin.request(method, path, json=body)
        assert r.status_code == 403, (path, r.text)
        assert r.json() == {"errorMessages": ["Only apps can access this resource."], "errors": {}}


def test_dynamic_register_list_refresh_and_delete(emu: EmulatorServer, app: httpx.Client, control: httpx.Client) -> None:
    url = receiver_url(emu, "app")
    r = app.post(
        "/rest/api/3/webhook",
        json={
            "url": url,
            "webhooks": [
                {"events": ["jira:issue_created", "jira:issue_updated"], "jqlFilter": "project = SEC", "fieldIdsFilter": ["summary"]},
                {"events": ["jira:issue_created"], "jqlFilter": "watchCount > 1"},
                {"events": ["comment_created"], "jqlFilter": "project IN (SEC, ENG)"},
            ],
        },
    )
    assert r.status_code == 200, r.text
    results = r.json()["webhookRegistrationResult"]
    assert "createdWebhookId" in results[0] and "createdWebhookId" in results[2]
    assert results[1]["errors"] and "watchCount" in results[1]["errors"][0]
    first, third = results[0]["createdWebhookId"], results[2]["createdWebhookId"]
    now = control.get("/clock").json()["nowMs"]
    page = app.get("/rest/api/3/webhook").json()
    assert page["total"] == 2 and page["isLast"] is True
    assert [v["id"] for v in page["values"]] == [first, third]
    assert abs(page["values"][0]["expirationDate"] - (now + 30 * DAY_MS)) < 60_000
    assert page["values"][0]["fieldIdsFilter"] == ["summary"]
    r = app.post("/rest/api/3/webhook", json={"url": "http://elsewhere.example/hook", "webhooks": [{"events": ["jira:issue_created"], "jqlFilter": "project = SEC"}]})
    assert r.status_code == 400  # a single URL per app
    control.post("/clock", json={"advance_ms": 10 * DAY_MS})
    app = gateway(emu, exchange(emu, "read:jira-work manage:jira-webhook")["access_token"])  # the old token expired
    r = app.put("/rest/api/2/webhook/refresh", json={"webhookIds": [first, 999999]})
    assert r.status_code == 200
    assert r.json()["expirationDate"] >= now + 40 * DAY_MS - 60_000
    assert app.get("/rest/api/3/webhook").json()["values"][0]["expirationDate"] == r.json()["expirationDate"]
    assert app.request("DELETE", "/rest/api/3/webhook", json={"webhookIds": [third]}).status_code == 202
    assert [v["id"] for v in app.get("/rest/api/3/webhook").json()["values"]] == [first]
    assert app.request("DELETE", "/rest/api/3/webhook", json={}).status_code == 400


def test_dynamic_delivery_jwt_matched_ids_field_filter_and_expiry(
    emu: EmulatorServer, app: httpx.Client, control: httpx.Client
) -> None:
    r = app.post(
        "/rest/api/3/webhook",
        json={
            "url": receiver_url(emu, "dyn"),
            "webhooks": [
                {"events": ["jira:issue_created", "jira:issue_updated"], "jqlFilter": "project = ENG", "fieldIdsFilter": ["labels"]},
                {"events": ["jira:issue_created"], "jqlFilter": "project = ENG"},
            ],
        },
    )
    ids = [x["createdWebhookId"] for x in r.json()["webhookRegistrationResult"]]
    key = mutate(control, op="bulk_create", project="ENG", count=1)["keys"][0]
    mutate(control, op="update", issue=key, fields={"summary": "not a label change"})
    settle(control)
    [req] = received(control, "dyn", 1)
    assert req["body"]["webhookEvent"] == "jira:issue_created" and sorted(req["body"]["matchedWebhookIds"]) == sorted(ids)
    assert "x-hub-signature" not in req["headers"]
    with warnings.catch_warnings():  # the emulator's default client secret is short
        warnings.simplefilter("ignore")
        claims = jwt.decode(
            req["headers"]["authorization"].removeprefix("Bearer "),
            CLIENT["client_secret"],
            algorithms=["HS256"],
            audience=CLIENT["client_id"],
            options={"verify_exp": False, "verify_iat": False},
        )
    assert claims["iss"] == f"jira:{emu.backend.state.site.cloud_id}"
    if emu.backend.webhooks.jql_available:
        mutate(control, op="bulk_create", project="SEC", count=1)  # outside the JQL filter
    control.post("/clock", json={"advance_ms": 31 * DAY_MS})  # both webhooks expire
    mutate(control, op="bulk_create", project="ENG", count=1)
    settle(control)
    assert control.get("/webhook-receiver/dyn").json()["count"] == 1


def test_failed_list_is_for_connect_apps_unless_enabled(
    emu: EmulatorServer, app: httpx.Client, control: httpx.Client
) -> None:
    control.put("/webhook-receiver/dead", json={"fail": 1000, "status": 502})
    app.post(
        "/rest/api/3/webhook",
        json={"url": receiver_url(emu, "dead"), "webhooks": [{"events": ["jira:issue_created"], "jqlFilter": "project = SEC"}]},
    )
    r = app.get("/rest/api/3/webhook/failed")
    assert r.status_code == 403 and r.json()["errorMessages"] == ["Only Connect apps can access this resource."]
    control.post("/config", json={"webhook_failed_for_oauth_apps": True})
    mutate(control, op="bulk_create", project="SEC", count=1)
    settle(control)
    control.post("/clock", json={"advance_ms": 1000})
    mutate(control, op="bulk_create", project="SEC", count=1)
    deliveries = settle(control)["deliveries"]
    assert [d["state"] for d in deliveries] == ["failed", "failed"]
    page = app.get("/rest/api/3/webhook/failed", params={"maxResults": 1}).json()
    assert [v["id"] for v in page["values"]] == [deliveries[0]["id"]]
    assert page["values"][0]["url"] == receiver_url(emu, "dead")
    assert "jira:issue_created" in page["values"][0]["body"]
    after = int(page["next"].split("failedAfter=")[1].split("&")[0])
    second = app.get("/rest/api/3/webhook/failed", params={"after": after}).json()
    assert [v["id"] for v in second["values"]] == [deliveries[1]["id"]]
    control.post("/clock", json={"advance_ms": 73 * 3600 * 1000})  # kept for 72 hours
    with gateway(emu, exchange(emu, "read:jira-work manage:jira-webhook")["access_token"]) as fresh:
        assert fresh.get("/rest/api/3/webhook/failed").json()["values"] == []


def test_events_emitted_directly_reach_admin_webhooks(emu: EmulatorServer, admin: httpx.Client, control: httpx.Client) -> None:
    """Any area's write reaches webhooks through backend.emit, not only the issue models."""
    create_admin_hook(admin, name="direct", url=receiver_url(emu, "direct"), events=[ISSUE_UPDATED])
    backend = emu.backend
    issue = backend.state.issue_by_key_or_id("SEC-1")
    assert issue is not None
    backend.emit(Event(ISSUE_UPDATED, backend.now_ms(), issue.reporter_id, issue=issue, issue_event_type_name="issue_generic"))
    [req] = received(control, "direct", 1)
    assert req["body"]["issue_event_type_name"] == "issue_generic" and req["body"]["issue"]["key"] == "SEC-1"
    backend.emit(Event(ISSUE_UPDATED, backend.now_ms(), None, issue=issue, extra={"webhooks": False}))
    settle(control)
    assert control.get("/webhook-receiver/direct").json()["count"] == 1


def test_worklog_events_carry_the_worklog(emu: EmulatorServer, admin: httpx.Client, control: httpx.Client) -> None:
    create_admin_hook(admin, name="work", url=receiver_url(emu, "work"), events=[WORKLOG_CREATED])
    backend = emu.backend
    issue = next(i for i in backend.state.issues.values() if i.worklogs)
    worklog = issue.worklogs[0]
    backend.emit(Event(WORKLOG_CREATED, backend.now_ms(), worklog.author_id, issue=issue, worklog=worklog))
    [req] = received(control, "work", 1)
    body = req["body"]
    assert body["webhookEvent"] == "worklog_created" and "issue" not in body
    assert body["worklog"]["id"] == str(worklog.id) and body["worklog"]["issueId"] == str(issue.id)
    assert body["worklog"]["timeSpentSeconds"] == worklog.time_spent_seconds
