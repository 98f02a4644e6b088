"""A token nobody can swap: `threedraw serve` refuses a token folder other users can write to
(unless told to accept it), and the add-on's client uses a token file only when it is the user's
own, owner-only file."""

from __future__ import annotations

import os

import pytest

from server_fixtures import serve_once, start_server
from threedraw.addon.client import BackendClient, BackendError

NO_LLM = ("--base-url", "http://127.0.0.1:9/v1", "--model", "m")


def test_serve_refuses_a_token_folder_others_can_write_to(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o777)
    out = serve_once(
        tmp_path, "--data-dir", str(tmp_path / "data"), "--token-file", str(folder / "t"), *NO_LLM
    )
    assert out.returncode == 2, out.stderr
    (line,) = out.stderr.strip().splitlines()
    assert line.startswith("threedraw serve: other users can write to the token's folder shared/ (mode 777)")
    assert f"run chmod 700 {folder}" in line and "--allow-shared-token-dir" in line
    assert not (folder / "t").exists()
    # Told to accept it, serve starts, and says what it accepted.
    srv = start_server(tmp_path, "--token-file", str(folder / "t"), "--allow-shared-token-dir", *NO_LLM)
    try:
        assert (folder / "t").stat().st_mode & 0o777 == 0o600
        assert "warning: other users can write to the token's folder shared/" in srv.log_text()
    finally:
        srv.stop()


def test_a_sticky_folder_of_ours_is_accepted_as_tmp_is(tmp_path):
    folder = tmp_path / "sticky"
    folder.mkdir()
    folder.chmod(0o1777)  # others may add files, but only a file's owner may replace or delete it
    srv = start_server(tmp_path, "--token-file", str(folder / "t"), *NO_LLM)
    try:
        assert "warning" not in srv.log_text()
        assert BackendClient(srv.url, folder / "t").info().api == "v1"
    finally:
        srv.stop()


def _client_error(token_file) -> BackendError:
    with pytest.raises(BackendError) as e:
        BackendClient("http://127.0.0.1:9", token_file).info()  # port 9: nothing listens there
    return e.value


def test_the_client_refuses_a_token_file_others_may_read_or_write(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("a-token\n")
    token_file.chmod(0o644)
    err = _client_error(token_file)
    assert err.code == "token_unsafe", err.message
    assert err.message.startswith(
        f"the token file {token_file} is not used: other users may read or write it"
    )
    assert "mode 644" in err.message and "\n" not in err.message
    token_file.chmod(0o600)  # as threedraw serve writes it: used (and the request goes on)
    assert _client_error(token_file).code == "not_running"


def test_the_client_refuses_a_token_file_of_another_user(tmp_path, monkeypatch):
    token_file = tmp_path / "token"
    token_file.write_text("a-token\n")
    token_file.chmod(0o600)
    try:
        os.chown(token_file, os.getuid() + 1, -1)  # possible as root
    except PermissionError:  # not root: this process cannot give a file away, so pretend to be another
        monkeypatch.setattr(os, "getuid", lambda: token_file.stat().st_uid + 1)
    err = _client_error(token_file)
    assert err.code == "token_unsafe", err.message
    assert str(token_file) in err.message and "belongs to another user" in err.message
