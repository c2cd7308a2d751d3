"""Validates every jiraemu response against the official OpenAPI specs (and ADF bodies against
the ADF schema).

The fixture in ``tests/conftest.py`` installs ``SpecValidator.observe`` as a backend observer, so
each response the emulator sends during a test is checked: the route template is mapped to the spec
operation (Cloud ``/rest/api/2`` is checked against the v3 operation, as Jira documents only v3;
DC ``/rest/api/2`` and ``/rest/agile/1.0`` against the DC 10.0.0 spec), and the JSON body against
that operation's response schema for the status code. One deliberate leniency: the spec says
``date-time`` but Jira sends offsets without a colon (``…-0700``), so exactly that form is
accepted too; every other format stays strict.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from jsonschema import Draft4Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from tests.support.reference import REFERENCE

SPECS = {
    "cloud": "openapi/jira-cloud-platform.v3.json",
    "agile": "openapi/jira-software-agile.v3.json",
    "dc": "openapi/jira-datacenter-10.0.0.json",
}

JIRA_TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?([+-]\d{4}|[+-]\d{2}:\d{2}|Z)$")


def _jira_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not JIRA_TS.match(value):
        return False
    v = value[:-2] + ":" + value[-2:] if re.search(r"[+-]\d{4}$", value) else value.replace("Z", "+00:00")
    try:
        datetime.fromisoformat(v)
    except ValueError:
        return False
    return True


def _format_checker() -> FormatChecker:
    checker = FormatChecker()
    for name, func in oas30_format_checker.checkers.items():
        checker.checkers[name] = func
    checker.checkers["date-time"] = (_jira_date_time, ())
    return checker


@cache
def load_spec(kind: str) -> dict[str, Any]:
    spec = json.loads((REFERENCE / SPECS[kind]).read_text())
    _fix_known_defects(kind, spec)
    return spec


DC_LISTS = (
    "/api/2/project",
    "/api/2/field",
    "/api/2/issuetype",
    "/api/2/priority",
    "/api/2/status",
    "/api/2/statuscategory",
    "/api/2/resolution",
    "/api/2/project/{projectIdOrKey}/components",
    "/api/2/project/{projectIdOrKey}/versions",
    "/api/2/project/{projectIdOrKey}/statuses",
    "/api/2/user/search",  # a JSON array of users (pycontribs `search_users` iterates it)
    "/api/2/role",  # a JSON array of project roles (Jira Server REST docs' example is a list)
)


def _fix_known_defects(kind: str, spec: dict[str, Any]) -> None:
    """Schemas that contradict real Jira (and the specs' own examples) are relaxed here, each with
    its evidence; everything else stays strict.

    * Changelog items: ``from``/``to``/``fromString``/``toString`` are null when a value was empty
      (the Cloud spec's own changelog example has ``"from": null``).
    * DC ``IssueBean.fields``/``renderedFields``: the spec types every field value as an object,
      but DC sends strings, numbers, arrays and nulls (fixtures/datacenter-v2/issue.get.jira-ruby.json).
    * DC ``EntityPropertyBean.value``: typed string, but DC returns the stored JSON value.
    * DC ``GET /api/2/project``: typed as one ProjectBean, but Jira returns a JSON array of them
      (pycontribs ``jira.projects()`` and every DC client index into the list). The same holds for
      the other DC lists in ``DC_LISTS`` (``/field``, ``/issuetype``, ``/priority``, ``/status``, ...:
      pycontribs ``jira.fields()`` iterates the array; the Cloud spec types them as arrays).
    * DC ``VersionBean.releaseDate``/``startDate``: typed date-time, but Jira sends a plain date
      (``"releaseDate": "2010-07-06"`` in Jira Server's REST docs; the Cloud spec types it ``date``).
    """
    schemas = spec.get("components", {}).get("schemas", {})
    for name in ("ChangeDetails", "ChangeItemBean"):
        for prop in ("from", "fromString", "to", "toString"):
            target = schemas.get(name, {}).get("properties", {}).get(prop)
            if target is not None:
                target["nullable"] = True
    if kind == "dc":
        issue = schemas.get("IssueBean", {}).get("properties", {})
        for prop in ("fields", "renderedFields"):
            if prop in issue:
                issue[prop]["additionalProperties"] = {}
        for path in DC_LISTS:
            listing = spec.get("paths", {}).get(path, {}).get("get", {}).get("responses", {}).get("200", {})
            for media in listing.get("content", {}).values():
                if "$ref" in media.get("schema", {}):
                    media["schema"] = {"type": "array", "items": media["schema"]}
        value = schemas.get("EntityPropertyBean", {}).get("properties", {})
        if "value" in value:
            value["value"] = {}
        version = schemas.get("VersionBean", {}).get("properties", {})
        for prop in ("releaseDate", "startDate"):
            if prop in version:
                version[prop]["format"] = "date"


@cache
def adf_validator() -> Draft4Validator:
    schema = json.loads((REFERENCE / "adf" / "adf-schema-v1-full.json").read_text())
    return Draft4Validator(schema)


@dataclass
class Coverage:
    """Which implemented operations were seen and validated during the run (shared by validators)."""

    validated: Counter[str] = field(default_factory=Counter)
    unmatched: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


COVERAGE = Coverage()


class SpecValidator:
    def __init__(self, flavor: str) -> None:
        self.flavor = flavor
        self.problems: list[str] = []
        self._validators: dict[tuple[str, str, str, str], Any] = {}

    @classmethod
    def for_backend(cls, backend: Any) -> SpecValidator:
        return cls(backend.config.flavor)

    # -- mapping a route template to a spec operation -------------------------------------------
    def locate(self, template: str) -> tuple[str, str] | None:
        """(spec kind, spec path) for an emulator route template, or None when no spec covers it."""
        if self.flavor == "cloud":
            if template.startswith("/rest/agile/1.0/"):
                return "agile", template
            if template.startswith("/rest/api/2/"):
                return "cloud", "/rest/api/3/" + template[len("/rest/api/2/") :]
            if template.startswith("/rest/api/3/"):
                return "cloud", template
            return None
        if template.startswith("/rest/"):
            return "dc", template[len("/rest") :]
        return None

    def _validator(self, kind: str, path: str, method: str, status: str) -> Any:
        key = (kind, path, method, status)
        if key in self._validators:
            return self._validators[key]
        validator = _build_validator(kind, path, method, status)
        self._validators[key] = validator
        return validator

    # -- the observer ------------------------------------------------------------------------------
    def observe(self, request: Any, template: str, api_version: int | None, body: bytes, response: Any) -> None:
        method = request.method.lower()
        where = self.locate(template)
        op_name = f"{request.method} {template}"
        if where is None:
            with COVERAGE.lock:
                COVERAGE.unmatched[f"{self.flavor}: {op_name}"] += 1
            return
        kind, path = where
        spec = load_spec(kind)
        operation = spec["paths"].get(path, {}).get(method)
        if operation is None:
            with COVERAGE.lock:
                COVERAGE.unmatched[f"{self.flavor}: {op_name}"] += 1
            return
        with COVERAGE.lock:
            COVERAGE.validated[f"{self.flavor}: {op_name}"] += 1
        status = str(response.status_code)
        if request.scope.get("jiraemu.gateway") and status == "401":
            return  # the api.atlassian.com gateway's own {code, message} answer, not the operation's
        responses = operation.get("responses", {})
        if status not in responses and f"{status[0]}XX" not in responses and "default" not in responses:
            if status.startswith("2"):
                self.problems.append(f"{op_name}: status {status} is not documented ({sorted(responses)})")
            return
        if status == "204" or not response.body:
            return
        ctype = response.headers.get("content-type", "")
        if "json" not in ctype:
            return
        try:
            data = json.loads(response.body)
        except ValueError:
            self.problems.append(f"{op_name} -> {status}: body is not JSON")
            return
        validator = self._validator(kind, path, method, status)
        if validator is not None:
            error = _first_error(validator, data)
            if error:
                self.problems.append(f"{op_name} -> {status}: {error}")
        if api_version == 3:
            for doc in _adf_docs(data):
                error = _adf_error(doc)
                if error:
                    self.problems.append(f"{op_name} -> {status}: invalid ADF: {error}")
                    break


_ADF_SEEN: dict[bytes, str | None] = {}


def _adf_error(doc: dict[str, Any]) -> str | None:
    """ADF validation is slow (~0.5 s a document) and the same documents recur in every page
    (generated content is drawn from a pool), so results are kept by the document's digest."""
    digest = hashlib.sha1(json.dumps(doc, sort_keys=True).encode()).digest()
    if digest not in _ADF_SEEN:
        _ADF_SEEN[digest] = _first_error(adf_validator(), doc)
    return _ADF_SEEN[digest]


def _first_error(validator: Any, data: Any) -> str | None:
    try:
        error = next(iter(validator.iter_errors(data)), None)
    except Exception as exc:  # a schema the validator cannot handle is a problem of ours to see
        return f"validator crashed: {exc!r}"
    if error is None:
        return None
    assert isinstance(error, ValidationError)
    location = "/".join(str(p) for p in error.absolute_path)
    return f"at '{location}': {error.message[:300]}"


def _adf_docs(data: Any, depth: int = 0) -> list[dict[str, Any]]:
    """ADF documents anywhere in a v3 body (descriptions, comment bodies, textarea fields)."""
    if depth > 12:
        return []
    if isinstance(data, dict):
        if data.get("type") == "doc" and data.get("version") == 1 and "content" in data:
            return [data]
        out: list[dict[str, Any]] = []
        for key, value in data.items():
            if key in ("renderedFields", "names", "schema"):
                continue
            out.extend(_adf_docs(value, depth + 1))
        return out
    if isinstance(data, list):
        out = []
        for item in data:
            out.extend(_adf_docs(item, depth + 1))
        return out
    return []


@cache
def _registry(kind: str) -> Registry:
    spec = load_spec(kind)
    return Registry().with_resource("urn:spec", Resource.from_contents(spec, default_specification=DRAFT4))


def _build_validator(kind: str, path: str, method: str, status: str) -> Any:
    spec = load_spec(kind)
    responses = spec["paths"][path][method]["responses"]
    entry = responses.get(status) or responses.get(f"{status[0]}XX") or responses.get("default") or {}
    if "$ref" in entry:
        ref = entry["$ref"].split("/")[-1]
        entry = spec["components"]["responses"][ref]
    content = entry.get("content") or {}
    media = next((v for k, v in content.items() if "json" in k or k == "*/*"), None)
    if not media or "schema" not in media:
        return None
    schema = _rebase(media["schema"])
    return OAS30Validator(schema, registry=_registry(kind), format_checker=_format_checker())


def _rebase(schema: Any) -> Any:
    """Point local refs (#/components/...) at the registered spec document."""
    if isinstance(schema, dict):
        return {k: ("urn:spec" + v if k == "$ref" and isinstance(v, str) and v.startswith("#") else _rebase(v))
                for k, v in schema.items()}
    if isinstance(schema, list):
        return [_rebase(v) for v in schema]
    return schema


def coverage_report(implemented: list[tuple[str, str, str]]) -> str:
    """A summary line per flavour: implemented operations, how many the specs cover, how many the
    test run exercised and validated."""
    lines = []
    for flavor in ("cloud", "datacenter"):
        impl = [(m, t) for f, m, t in implemented if f == flavor]
        validator = SpecValidator(flavor)
        in_spec = []
        for method, template in impl:
            where = validator.locate(template)
            if where and load_spec(where[0])["paths"].get(where[1], {}).get(method.lower()):
                in_spec.append((method, template))
        seen = [op for op in in_spec if COVERAGE.validated.get(f"{flavor}: {op[0]} {op[1]}")]
        share = 100.0 * len(seen) / len(in_spec) if in_spec else 0.0
        lines.append(
            f"OpenAPI {flavor}: {len(impl)} operations implemented, {len(in_spec)} in the spec, "
            f"{len(seen)} exercised and validated by this run ({share:.0f}%)"
        )
    return "\n".join(lines)
