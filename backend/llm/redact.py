"""What of a remote text (an API's error body) may be shown: the secret taken out first, then cut.

Every text a remote server sends that reaches a message, a log, a job or the database goes through
``shown``. Cutting first would be unsafe: a key that crosses the cut is no longer whole, so replacing
the whole key misses the part left. So the key is taken out before the cut, and not only whole: any
run of ``MIN_RUN`` or more consecutive characters of it (a server may quote a key partly, or cut it
itself) becomes ``***`` too.
"""

from __future__ import annotations

MASK = "***"
MIN_RUN = 8  # shorter runs are too common to hide, and too short to guess a key from
# A longer text is cut to this before it is searched (an error body can be megabytes): what lies
# beyond is never shown, and at the cut at most MIN_RUN - 1 characters of a key can remain.
MAX_SCANNED_CHARS = 64 * 1024


def redact(text: str, secret: str) -> str:
    """``text`` with ``secret`` and every run of ``MIN_RUN`` or more of its consecutive characters
    replaced by ``***`` (a secret shorter than ``MIN_RUN`` only when whole)."""
    if not secret or not text:
        return text
    if len(secret) < MIN_RUN:
        return text.replace(secret, MASK)
    grams = {secret[i : i + MIN_RUN] for i in range(len(secret) - MIN_RUN + 1)}
    # Every run of MIN_RUN or more characters of the secret is covered by its MIN_RUN-grams, each of
    # which is a MIN_RUN-gram of the secret: mark them, and mask each stretch of marks once.
    spans: list[list[int]] = []
    for i in range(len(text) - MIN_RUN + 1):
        if text[i : i + MIN_RUN] in grams:
            if spans and i <= spans[-1][1]:
                spans[-1][1] = i + MIN_RUN
            else:
                spans.append([i, i + MIN_RUN])
    out, done = [], 0
    for start, end in spans:
        out += [text[done:start], MASK]
        done = end
    out.append(text[done:])
    return "".join(out)


def shown(text: str, secret: str, limit: int | None = None) -> str:
    """``text`` as it may be shown: on one line, redacted (``redact``), then cut to ``limit``
    characters with "..." (None: not cut); "empty body" for a text of nothing but spaces."""
    text = " ".join(text[:MAX_SCANNED_CHARS].split())
    text = redact(text, secret)
    if limit is not None and len(text) > limit:
        text = text[:limit] + "..."
    return text or "empty body"
