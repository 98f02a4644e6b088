"""Reading a result's JSON tolerantly: a missing optional field is its default, a malformed one
is a ``ResultError`` naming the field ("score.structure.total: expected a number, got 'x'")."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

T = TypeVar("T")
_MISSING = object()

# A JSON object another part of threedraw owns and documents, carried through as its owner wrote it
# and opaque to whoever carries it, so a field the owner adds needs no change there: a library's
# lesson or change event, a learning run's record (its config, each step's record, an epoch's
# detail, its cost), the camera rig, a job's accepted request, an HTTP answer before it is read as
# its type, and a typed result's parts in the API schema (backend/server/schemas.py documents them
# there without narrowing them: a result passes through unchanged).
Record = dict[str, Any]
# A JSON object as read from the wire: every value is checked (by the readers below) before use.
Fields = Mapping[str, object]


class ResultError(ValueError):
    """A result's JSON does not have the shape this version reads."""


def mapping(d: Any, where: str) -> Record:
    """``d`` when it is a JSON object (its values still to be read field by field)."""
    if not isinstance(d, dict):
        raise ResultError(f"{where}: expected an object, got {type(d).__name__}")
    return d


# How a result class reads its JSON object, whose keys are its fields' names: key -> (reader, *args),
# read as ``reader(d, key, where, *args)``: ``number``, ``integer``, ``text`` or ``flag`` with the
# field's default (none: required), ``items`` with an item's reader, ``optional`` with a reader.
Readers = Mapping[str, tuple[Any, ...]]


def read_object(cls: Callable[..., T], d: Any, where: str, readers: Readers) -> T:
    """``cls`` from the JSON object ``d``, each field read as ``readers`` says."""
    d = mapping(d, where)
    return cls(**{key: reader(d, key, where, *args) for key, (reader, *args) in readers.items()})


def with_set(d: dict[str, Any], **values: Any) -> dict[str, Any]:
    """``d`` and then each of ``values`` that is not None, in order: a field that is unset is left out."""
    d.update((key, value) for key, value in values.items() if value is not None)
    return d


def _read(d: Fields, key: str, where: str, default: Any, ok: Callable[[Any], bool], kind: str) -> Any:
    """``d[key]`` when ``ok`` says it is a ``kind``; ``default`` when missing or null (no default: an error)."""
    value = d.get(key)
    if value is None:
        if default is _MISSING:
            raise ResultError(f"{where}.{key}: missing")
        return default
    if not ok(value):
        raise ResultError(f"{where}.{key}: expected {kind}, got {value!r:.40}")
    return value


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def number(d: Fields, key: str, where: str, default: Any = _MISSING) -> Any:
    """A float (ints accepted; NaN and infinities as they are), or ``default`` when missing/null."""
    value = _read(d, key, where, default, _is_number, "a number")
    return value if value is default else float(value)


def integer(d: Fields, key: str, where: str, default: Any = _MISSING) -> Any:
    return _read(
        d, key, where, default, lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"
    )


def text(d: Fields, key: str, where: str, default: Any = _MISSING) -> Any:
    return _read(d, key, where, default, lambda v: isinstance(v, str), "a string")


def flag(d: Fields, key: str, where: str, default: bool = False) -> bool:
    return bool(_read(d, key, where, default, lambda v: isinstance(v, bool), "true or false"))


def items(d: Fields, key: str, where: str, read: Callable[[Any, str], T]) -> list[T]:
    """A list field (missing or null: empty), each item read by ``read(item, "where.key[i]")``."""
    value = d.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ResultError(f"{where}.{key}: expected a list, got {type(value).__name__}")
    return [read(x, f"{where}.{key}[{i}]") for i, x in enumerate(value)]


def as_number(value: Any, where: str) -> float:
    if not _is_number(value):
        raise ResultError(f"{where}: expected a number, got {value!r:.40}")
    return float(value)


def as_optional_number(value: Any, where: str) -> float | None:
    return None if value is None else as_number(value, where)


def as_text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ResultError(f"{where}: expected a string, got {value!r:.40}")
    return value


def optional(d: Fields, key: str, where: str, read: Callable[[Any, str], T], default: Any = None) -> Any:
    """``d[key]`` read by ``read(value, "where.key")``, or ``default`` when it is missing or null."""
    value = d.get(key)
    return default if value is None else read(value, f"{where}.{key}")
