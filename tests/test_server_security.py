"""The server is safe on a shared machine: token on every route but health, loopback Host names
only, bounded bodies, owner-only token file, one error envelope; and its settings resolve as
documented (flag, then THREEDRAW_* environment, then the config file)."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import httpx
import pytest

from server_fixtures import assert_envelope, server_env, sketch_dict, start_server
from threedraw.cli import UserError, build_parser
from threedraw.cli.serve_options import settings_from_args
from threedraw.server.app import api

MAX_BODY = 4096
OPERATIONS = [(method.upper(), path) for path, ops in api().openapi()["paths"].items() for method in ops]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("serve")
    srv = start_server(
        home, "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--max-body-bytes", str(MAX_BODY)
    )
    yield srv
    srv.stop()


def _concrete(path: str) -> str:
    return (
        path.replace("{job_id}", "0123456789abcdef")
        .replace("{run_id}", "20260101-000000-abcdef")
        .replace("{sketch_id}", "s1")
        .replace("{name}", "default")
        .replace("{lesson_id}", "L1")
    )


@pytest.mark.parametrize("method,path", [op for op in OPERATIONS if op != ("GET", "/v1/health")])
def test_every_route_but_health_needs_the_token(server, method, path):
    url = _concrete(path)
    with server.client(token=None) as anonymous:
        resp = anonymous.request(method, url)
        err = assert_envelope(resp, 401, "unauthorized")
        assert resp.headers["www-authenticate"] == "Bearer" and "no access token" in err["message"]
    for wrong in ("not-the-token", server.token + "x", server.token[:-1]):
        with server.client(token=wrong) as c:
            err = assert_envelope(c.request(method, url), 401, "unauthorized")
    with server.client() as c, httpx.Client(base_url=server.url) as raw:
        assert c.request(method, url).status_code != 401
        basic = raw.request(method, url, headers={"Authorization": f"Basic {server.token}"})
        assert_envelope(basic, 401, "unauthorized")


def test_health_needs_no_token_and_says_nothing_more(server):
    resp = httpx.get(server.url + "/v1/health")
    assert resp.status_code == 200 and resp.json() == {"status": "ok", "api": "v1"}


def test_token_file_is_owner_only_fresh_and_never_logged(server):
    mode = stat.S_IMODE(server.token_file.stat().st_mode)
    assert mode == 0o600
    assert stat.S_IMODE(server.token_file.parent.stat().st_mode) == 0o700
    token = server.token
    assert len(token) >= 40
    assert token not in server.log_text()
    with server.client() as c:
        assert token not in c.get("/v1/info").text


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:8765",
        "127.0.0.1.evil.example",
        "localhost.evil.example:80",
        "192.168.1.20",
        "0.0.0.0",
        "[::1]evil.com",
        "[::1]:80evil.com",
        "[::1",
        "localhost:80:80",
        "localhost:evil.com",
        "localhost:",
        "::1",
    ],
)
def test_foreign_host_names_are_refused_even_with_the_token(server, host):
    with server.client(headers={"Host": host}) as c:
        for method, path in (("GET", "/v1/health"), ("GET", "/v1/info"), ("POST", "/v1/jobs")):
            err = assert_envelope(c.request(method, path), 403, "host_not_allowed")
            assert "DNS rebinding" in err["message"]


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "LOCALHOST", "[::1]", "localhost."])
def test_loopback_host_names_are_served(server, host):
    port = server.url.rsplit(":", 1)[1]
    for name in (host, f"{host}:{port}"):
        with server.client(headers={"Host": name}) as c:
            assert c.get("/v1/info").status_code == 200


def test_a_request_without_host_is_refused(server):
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"GET /v1/health HTTP/1.0\r\n\r\n")
        reply = b""
        while chunk := sock.recv(4096):  # HTTP/1.0: the server closes when done
            reply += chunk
        reply = reply.decode()
    assert reply.startswith("HTTP/1.1 403") and "host_not_allowed" in reply


def test_bodies_over_the_limit_are_refused(server):
    big = {"kind": "score", "sketches": [sketch_dict()] * 40}
    with server.client() as c:
        err = assert_envelope(c.post("/v1/jobs", json=big), 413, "body_too_large")
        assert str(MAX_BODY) in err["message"]

        def chunks():  # no Content-Length: counted as it streams
            for _ in range(10):
                yield b" " * 1000

        assert_envelope(
            c.post("/v1/jobs", content=chunks(), headers={"Content-Type": "application/json"}),
            413,
            "body_too_large",
        )
        assert c.get("/v1/health").status_code == 200  # and the server carries on


def test_framework_errors_come_in_the_envelope(server):
    with server.client() as c:
        assert_envelope(c.get("/v1/nope"), 404, "not_found")
        assert_envelope(c.get("/nope"), 404, "not_found")
        err = assert_envelope(c.put("/v1/jobs"), 405, "method_not_allowed")
        assert "PUT" in err["message"]
        err = assert_envelope(
            c.post("/v1/jobs", content=b"{nope", headers={"Content-Type": "application/json"}),
            422,
            "invalid_request",
        )
        assert "not valid JSON" in err["message"]
        err = assert_envelope(c.post("/v1/jobs", json={"prompt": "a chair"}), 422, "invalid_request")
        assert "missing kind" in err["message"]
        err = assert_envelope(c.post("/v1/jobs", json={"kind": "draw", "prompt": "a chair", "K": 5}), 422)
        assert "draw.K" in err["message"] and err["detail"][0]["type"] == "extra_forbidden"
        err = assert_envelope(c.get("/v1/jobs", params={"limit": 0}), 422, "invalid_request")
        assert "query limit" in err["message"]
        assert_envelope(c.get("/v1/jobs/0123456789abcdef"), 404, "job_not_found")
        assert_envelope(c.get("/v1/sketches/nope"), 404, "sketch_not_found")


def test_a_local_model_path_cannot_be_chosen_per_job(tmp_path):
    """A job must not make the server load an arbitrary file."""
    srv = start_server(tmp_path, "--provider", "local", "--model", str(tmp_path / "model.gguf"))
    try:
        with srv.client() as c:
            info = c.get("/v1/info").json()
            assert info["provider"]["model"] == "model.gguf" and info["limits"]["llm_jobs"] == 1
            err = assert_envelope(
                c.post("/v1/jobs", json={"kind": "draw", "prompt": "a chair", "model": "/etc/passwd"}),
                422,
                "invalid_request",
            )
            assert "chosen when the server starts" in err["message"]
            err = assert_envelope(
                c.post("/v1/jobs", json={"kind": "draw", "prompt": "a chair"}), 503, "provider_unavailable"
            )
            assert "model.gguf" in err["message"] and str(tmp_path) not in err["message"]
    finally:
        srv.stop()


# -- starting up -------------------------------------------------------------------
def test_listening_beyond_loopback_needs_allow_remote(cli, tmp_path):
    r = cli("serve", "--host", "0.0.0.0", "--port", "0", env=server_env(tmp_path))
    assert r.returncode == 2 and "--allow-remote" in r.stderr and "Traceback" not in r.stderr


def test_a_busy_port_is_one_clear_line(cli, tmp_path, server):
    port = server.url.rsplit(":", 1)[1]
    r = cli("serve", "--port", port, "--data-dir", str(tmp_path / "d"), env=server_env(tmp_path))
    assert r.returncode == 2 and "already in use" in r.stderr and len(r.stderr.strip().splitlines()) == 1


# -- settings: flag, then environment, then config file ------------------------------
def _settings(argv: list[str], env: dict[str, str], monkeypatch, home: Path):
    for k in [k for k in os.environ if k.startswith("THREEDRAW_")]:
        monkeypatch.delenv(k)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    args = build_parser(["serve", *argv]).parse_args(["serve", *argv])
    return settings_from_args(args)


def _config(home: Path, text: str) -> Path:
    path = home / "threedraw" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_settings_come_from_flag_then_environment_then_config_file(monkeypatch, tmp_path):
    _config(
        tmp_path,
        'views = 3\nport = 9000\nbase_url = "http://127.0.0.1:1/v1"\nmodel = "from-file"\n'
        'max_queued = 5\nallowed_host = ["studio.local"]\n',
    )
    s = _settings([], {}, monkeypatch, tmp_path)
    assert (s.score.views, s.port, s.max_queued, s.provider_kind) == (3, 9000, 5, "openai-compatible")
    assert s.provider_options.model == "from-file" and "studio.local" in s.host_names()
    s = _settings([], {"THREEDRAW_VIEWS": "4", "THREEDRAW_MODEL": "from-env"}, monkeypatch, tmp_path)
    assert s.score.views == 4 and s.provider_options.model == "from-env" and s.port == 9000
    s = _settings(["--views", "5", "--model", "from-flag"], {"THREEDRAW_VIEWS": "4"}, monkeypatch, tmp_path)
    assert s.score.views == 5 and s.provider_options.model == "from-flag"
    # A flag given with its default value still wins over the file.
    s = _settings(["--port", "8765"], {}, monkeypatch, tmp_path)
    assert s.port == 8765


def test_the_idle_timeout_comes_from_the_config_file_or_environment(monkeypatch, tmp_path):
    _config(tmp_path, 'base_url = "http://127.0.0.1:1/v1"\nmodel = "m"\nidle_timeout = 0.5\n')
    s = _settings([], {}, monkeypatch, tmp_path)
    assert s.provider_options.idle_timeout == 0.5 and s.make_provider().idle_timeout == 0.5
    s = _settings([], {"THREEDRAW_IDLE_TIMEOUT": "2"}, monkeypatch, tmp_path)
    assert s.make_provider().idle_timeout == 2.0


def test_default_places_follow_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    s = _settings([], {}, monkeypatch, tmp_path / "cfg")
    # The default port keeps the historic token path; any other port gets its own file.
    assert s.token_file is None and s.token_path(8765) == tmp_path / "cfg" / "threedraw" / "token"
    assert s.token_path(9001) == tmp_path / "cfg" / "threedraw" / "token-9001"
    assert s.data_dir == tmp_path / "share" / "threedraw"
    s = _settings([], {"THREEDRAW_DATA_DIR": str(tmp_path / "d")}, monkeypatch, tmp_path / "cfg")
    assert s.data_dir == tmp_path / "d"


@pytest.mark.parametrize(
    "text,expected",
    [
        ('api_key = "sk-123"\n', "THREEDRAW_API_KEY"),
        ("viewz = 3\n", "unknown setting 'viewz'"),
        ('views = "three"\n', "views"),
        ("views = 2.5\n", "whole number"),
        ('json_schema = "yes"\n', "true or false"),
        ('provider = "gpt"\n', "expected one of"),
        ("views = [\n", "not valid TOML"),
        ("views = 40\n", "--max-views"),
        ("idle_timeout = 0\n", "--idle-timeout 0: expected seconds"),
        ('idle_timeout = "soon"\n', "idle_timeout: expected a number"),
    ],
)
def test_bad_config_files_are_named_clearly(monkeypatch, tmp_path, text, expected):
    _config(tmp_path, text)
    with pytest.raises(UserError) as e:
        _settings([], {}, monkeypatch, tmp_path)
    assert expected in str(e.value)


def test_bad_environment_values_name_the_variable(monkeypatch, tmp_path):
    with pytest.raises(UserError, match=r"\$THREEDRAW_PORT='eighty'"):
        _settings([], {"THREEDRAW_PORT": "eighty"}, monkeypatch, tmp_path)
    with pytest.raises(UserError, match="--max-queued 0"):
        _settings(["--max-queued", "0"], {}, monkeypatch, tmp_path)
    with pytest.raises(UserError, match="no such file"):
        _settings(["--config", str(tmp_path / "missing.toml")], {}, monkeypatch, tmp_path)


def test_docs_and_schema_open_in_a_browser_and_offer_the_token(server):
    with server.client(token=None) as browser:
        page = browser.get("/docs")
        assert page.status_code == 200 and "swagger" in page.text.lower()
        schema = browser.get("/openapi.json").json()
        assert schema["components"]["securitySchemes"]["bearer"] == {
            "type": "http",
            "scheme": "bearer",
            "description": "the token from the server's token file",
        }
        assert schema["security"] == [{"bearer": []}]
        assert schema["paths"]["/v1/health"]["get"]["security"] == []
        assert_envelope(browser.get("/v1/info"), 401, "unauthorized")  # what does something still needs it


@pytest.mark.parametrize("name", ["chairs\n", "chairs\r\n", "\nchairs", "chairs ", ""])
def test_a_library_name_with_a_newline_or_space_is_refused(server, name):
    from threedraw.library.lessons import LibraryError, check_name

    with pytest.raises(LibraryError, match="library name"):
        check_name(name)
    with server.client() as c:
        resp = c.post("/v1/jobs", json={"kind": "learn", "library": name, "prompts": ["a chair"]})
        assert_envelope(resp, 422)
