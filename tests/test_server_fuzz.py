"""Hypothesis over the published OpenAPI schema: no request, valid or not, gets a 5xx.

Requests are drawn from the schema itself (bodies, path and query parameters that match it)
mixed with arbitrary JSON and text, and sent to a real server. Every answer must be below 500,
and every error must be the one envelope. The server's LLM is down and CLIP is off, so accepted
jobs are cheap; its queue is small, so 429s are part of what the fuzzer sees.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server_fixtures import assert_envelope, start_server
from threedraw.server.app import api
from threedraw.testing.scripted_server import ScriptedServer

SCHEMA = api().openapi()
OPERATIONS = [(method, path, op) for path, ops in SCHEMA["paths"].items() for method, op in ops.items()]
MAX_ITEMS = 3  # list lengths drawn (a schema's minItems wins)
MAX_TEXT = 24
FUZZ = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)

# JSON has no NaN or infinity (httpx refuses to encode them).
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=12,
)


def from_schema(schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy:
    """Values matching a JSON schema (the OpenAPI 3.1 subset FastAPI writes)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return st.deferred(lambda: from_schema(SCHEMA["components"]["schemas"][name], depth + 1))
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return st.one_of([from_schema(s, depth + 1) for s in schema[key]])
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "string":
        lo = schema.get("minLength", 0)
        return st.text(min_size=lo, max_size=max(lo, min(schema.get("maxLength", MAX_TEXT), MAX_TEXT)))
    if kind == "integer":
        return st.integers(_bound(schema, "minimum", -(10**6)), _bound(schema, "maximum", 10**6))
    if kind == "number":
        return st.floats(_bound(schema, "minimum", -1e6), _bound(schema, "maximum", 1e6), allow_nan=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        lo = schema.get("minItems", 0)
        hi = max(lo, min(schema.get("maxItems", MAX_ITEMS), MAX_ITEMS))
        return st.lists(from_schema(schema.get("items", {}), depth + 1), min_size=lo, max_size=hi)
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        required = set(schema.get("required", ()))
        return (
            st.fixed_dictionaries(
                {k: from_schema(v, depth + 1) for k, v in props.items() if k in required},
                optional={k: from_schema(v, depth + 1) for k, v in props.items() if k not in required},
            )
            if props
            else st.dictionaries(st.text(max_size=6), JSON, max_size=3)
        )
    return JSON


def _bound(schema: dict[str, Any], key: str, default: float) -> Any:
    value = schema.get(key, default)
    return int(value) if schema.get("type") == "integer" else float(value)


def request_strategy(method: str, path: str, op: dict[str, Any]) -> st.SearchStrategy:
    """(method, url, query params, body or None) for one operation: schema-shaped, or not."""
    parts: dict[str, st.SearchStrategy] = {}
    query: dict[str, st.SearchStrategy] = {}
    for p in op.get("parameters", []):
        shaped = from_schema(p.get("schema", {})).map(str)
        value = st.one_of(shaped, st.text(max_size=MAX_TEXT))
        (parts if p["in"] == "path" else query)[p["name"]] = value
    body: st.SearchStrategy = st.none()
    if "requestBody" in op:
        shaped = from_schema(op["requestBody"]["content"]["application/json"]["schema"])
        body = st.one_of(shaped, shaped, JSON)  # mostly well-shaped, sometimes anything

    @st.composite
    def build(draw: Any) -> tuple[str, str, dict[str, str], Any]:
        url = path
        for name, strategy in parts.items():
            url = url.replace("{" + name + "}", quote(draw(strategy), safe="") or "x")
        params = {k: draw(v) for k, v in query.items() if draw(st.booleans())}
        return method.upper(), url, {k: str(v) for k, v in params.items()}, draw(body)

    return build()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with ScriptedServer() as gone:
        dead = gone.base_url  # closed at once: the LLM is down
    home = tmp_path_factory.mktemp("serve")
    srv = start_server(
        home,
        "--base-url",
        dead,
        "--model",
        "m",
        "--retries",
        "0",
        "--max-queued",
        "4",
        "--max-views",
        "2",
        "--views",
        "2",
        "--max-size",
        "32",
        "--llm-jobs",
        "2",
    )
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def client(server):
    with server.client() as c:
        yield c


def test_the_served_schema_is_the_one_fuzzed(client):
    assert client.get("/openapi.json").json() == SCHEMA


def check(resp: httpx.Response) -> None:
    assert resp.status_code < 500, (resp.request.method, resp.request.url, resp.status_code, resp.text[:300])
    if resp.status_code >= 400:
        assert_envelope(resp, resp.status_code)
    else:
        resp.json()


@pytest.mark.parametrize("method,path,op", OPERATIONS, ids=[f"{m.upper()} {p}" for m, p, _ in OPERATIONS])
def test_no_request_gets_a_server_error(client, method, path, op):
    @FUZZ
    @given(request_strategy(method, path, op))
    def run(req: tuple[str, str, dict[str, str], Any]) -> None:
        verb, url, params, body = req
        check(
            client.request(verb, url, params=params, json=body)
            if body is not None
            else client.request(verb, url, params=params)
        )

    run()


@FUZZ
@given(
    body=st.binary(max_size=256),
    content_type=st.sampled_from(["application/json", "text/plain", "", "application/json; charset=latin-1"]),
)
def test_raw_bodies_never_get_a_server_error(client, body, content_type):
    check(
        client.post("/v1/jobs", content=body, headers={"Content-Type": content_type} if content_type else {})
    )


@FUZZ
@given(
    auth=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60),
    host=st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=30),
)
def test_odd_auth_and_host_headers_are_refused_cleanly(server, auth, host):
    headers = {"Authorization": auth.strip() or "x", "Host": host or "x"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as c:
        resp = c.get("/v1/info")
    assert resp.status_code in (401, 403), resp.text
    assert_envelope(resp, resp.status_code)


def test_the_server_survived_and_its_jobs_all_finished(server, client):
    assert server.proc.poll() is None
    jobs = client.get("/v1/jobs", params={"limit": 500}).json()["jobs"]
    assert jobs, "the fuzzer should have got some jobs accepted"
    for job in jobs:
        if job["state"] == "failed":
            assert job["error"]["code"] != "internal_error", job["error"]
    assert "Traceback" not in server.log_text()
