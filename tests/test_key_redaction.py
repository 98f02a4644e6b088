"""The API key never shows, not even in part: an error body quoting it (whole or a run of it) at any
place, across the length an error message is cut to, through the real client and a real socket."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from llm_fixtures import SECRET_KEY, fast_provider, running_server
from threedraw.llm import ChatRequest, Message, ProviderError
from threedraw.llm.openai_compat import MESSAGE_CHARS, SNIPPET_CHARS
from threedraw.llm.redact import MIN_RUN, redact, shown
from threedraw.testing.scripted_server import Reply

REQ = ChatRequest((Message("user", "Draw: a chair"),), temperature=0.3, max_tokens=50)
# Runs of the key a server may quote: the whole key, its head, a piece inside, the shortest run hidden.
RUNS = [SECRET_KEY, SECRET_KEY[:20], SECRET_KEY[11 : 11 + MIN_RUN]]


@pytest.fixture(scope="module")
def server():
    yield from running_server()


def leaked(text: str, key: str = SECRET_KEY) -> list[str]:
    """The runs of MIN_RUN characters of the key found in ``text``."""
    return [key[i : i + MIN_RUN] for i in range(len(key) - MIN_RUN + 1) if key[i : i + MIN_RUN] in text]


def errors(server, replies: list[Reply] | list[tuple[Reply, ...]], **options) -> list[str]:
    """The error message each reply (or each request's replies, retries included) gives."""

    async def go() -> list[str]:
        provider = fast_provider(server, **options)
        said = []
        try:
            for reply in replies:
                server.push(*(reply if isinstance(reply, tuple) else (reply,)))
                with pytest.raises(ProviderError) as err:
                    await provider.complete(REQ)
                said.append(str(err.value))
        finally:
            await provider.aclose()
        return said

    return asyncio.run(go())


def crossing(limit: int, run: str) -> list[str]:
    """Texts putting ``run`` at every place from wholly before the cut at ``limit`` to wholly after."""
    return ["x" * p + run + " and more" for p in range(max(0, limit - len(run) - 1), limit + 2)]


def test_the_helper_masks_the_key_and_every_run_of_eight_then_cuts():
    key = "ABCDEFGHIJKLMNOP"
    assert redact(f"key {key} end", key) == "key *** end"
    assert redact("a DEFGHIJK b CDEFGHIJKLM c", key) == "a *** b *** c"
    assert redact("DEFGHIJ BCDEFGHI", key) == "DEFGHIJ ***"  # 7 characters are not a run, 8 are
    assert redact("ABCDEFGHIJKLMNOPABCDEFGHI", key) == "***"  # runs side by side: one mask
    assert redact("nothing here", key) == "nothing here" and redact("x", "") == "x"
    assert redact("a short key", "short") == "a *** key"
    cut = shown("y" * 10 + key, key, 12)
    assert cut == "yyyyyyyyyy**..." and not leaked(cut, key)
    assert shown("  \n ", key, 5) == "empty body" and shown("a\n  b", key) == "a b"


@pytest.mark.parametrize("run", RUNS, ids=lambda r: f"{len(r)}chars")
def test_an_api_error_message_quoting_the_key_across_the_cut_never_shows_it(server, run):
    texts = crossing(MESSAGE_CHARS, run)
    said = errors(server, [Reply.error(400, t) for t in texts], max_retries=0)
    assert len(said) == len(texts) and all("HTTP 400" in s for s in said)
    assert all(len(s) < MESSAGE_CHARS + 100 for s in said)  # still cut
    assert [leaked(s) for s in said] == [[]] * len(texts)
    assert "***" in said[0]  # wholly before the cut: masked where it stood


@pytest.mark.parametrize("run", RUNS, ids=lambda r: f"{len(r)}chars")
def test_a_plain_body_or_a_reply_that_is_no_completion_never_shows_it(server, run):
    texts = crossing(SNIPPET_CHARS, run)
    bodies = [Reply(status=418, body=t.encode()) for t in texts]
    bodies += [Reply(body=t.encode()) for t in texts]  # HTTP 200 but not a chat completion
    bodies += [
        Reply(status=400, body=json.dumps({"error": t}).encode()) for t in crossing(MESSAGE_CHARS, run)
    ]
    said = errors(server, bodies, max_retries=0)
    assert any("not a chat completion" in s for s in said) and any("HTTP 418" in s for s in said)
    assert not [s for s in said if leaked(s)]


def test_a_retried_error_quoting_the_key_is_logged_and_failed_without_it(server, caplog):
    texts = crossing(MESSAGE_CHARS, SECRET_KEY)[::7]
    with caplog.at_level(logging.WARNING, logger="threedraw.llm"):
        said = errors(server, [(Reply.error(500, t), Reply.error(500, t)) for t in texts], max_retries=1)
    assert caplog.text.count("retrying") == len(texts) and not leaked(caplog.text)
    assert all("gave up after 2 attempts" in s for s in said) and not [s for s in said if leaked(s)]
