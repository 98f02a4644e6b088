"""/docs works offline: the page and every asset it references come from the server itself."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest

from server_fixtures import start_server

# src="...", href="...", url: '...' and url(...) in the page, its CSS and its scripts' loaders.
REFERENCE = re.compile(
    r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\(\s*["']?([^"')]+)["']?\s*\)|url:\s*'([^']+)'"""
)
ANY_HOST = re.compile(r"(?:https?:)?//([A-Za-z0-9.-]+\.[A-Za-z]{2,})")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory.mktemp("docs"), "--base-url", "http://127.0.0.1:9/v1", "--model", "m")
    yield srv
    srv.stop()


def _references(text: str) -> list[str]:
    return [next(g for g in m.groups() if g) for m in REFERENCE.finditer(text)]


def test_docs_page_and_its_assets_come_from_the_server_alone(server):
    with server.client(token=None) as browser:
        page = browser.get("/docs")
        assert page.status_code == 200
        refs = [r for r in _references(page.text) if not r.startswith("data:")]
        # The page's script, style, icon and schema (and nothing from another host).
        assert any(r.endswith(".js") for r in refs) and any(r.endswith(".css") for r in refs), refs
        assert "/openapi.json" in refs
        assert ANY_HOST.findall(page.text) == []
        fetched = 0
        for ref in refs:
            url = urljoin(server.url + "/docs", ref)
            assert urlsplit(url).netloc == urlsplit(server.url).netloc, f"{ref} is not on the server"
            asset = browser.get(url)
            assert asset.status_code == 200, f"{ref}: HTTP {asset.status_code}"
            fetched += 1
            if ref.endswith(".css"):
                # The stylesheet's own references (fonts, images) are inline or on the server too.
                for inner in _references(asset.text):
                    assert inner.startswith("data:") or not ANY_HOST.match(inner), inner
        assert fetched >= 4
        assert '"validatorUrl": null' in page.text  # no schema sent to an online validator
        redirect = browser.get("/docs/oauth2-redirect")
        assert redirect.status_code == 200 and ANY_HOST.findall(redirect.text) == []


def test_docs_assets_need_no_token_but_the_api_still_does(server):
    with server.client(token=None) as browser:
        assert browser.get("/docs/static/swagger-ui.css").status_code == 200
        assert browser.get("/docs/static/missing.js").status_code == 404
        assert browser.get("/docs/static/../../v1/info").status_code in (401, 404)
        assert browser.get("/v1/info").status_code == 401
        # ReDoc's page would load its script from a CDN: not served.
        assert browser.get("/redoc").status_code == 404
