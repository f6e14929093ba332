"""What is wrong with a scenario, said the way a user can act on it: ``ScenarioError`` (every
problem with its file, line and field), ``ScenarioWarning``, and the translation of pydantic's
validation errors into them (``translate``), naming what each field allows."""

from __future__ import annotations

import datetime as dt
import difflib
import types
import typing
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ValidationError

Loc = tuple[Any, ...]

def _dotted(loc: Iterable[Any]) -> str:
    return ".".join(x.isoformat() if isinstance(x, dt.date) else str(x) for x in loc)


class ScenarioError(ValueError):
    """A scenario file that cannot be used, with where and why. ``problems`` holds every
    problem found (this one first, the rest in file and line order); ``str()`` puts each on
    its own line as ``file:line: field: message``."""

    def __init__(self, file: str, line: int | None, field_path: str, message: str,
                 more: Iterable[ScenarioError] = ()):
        self.file, self.line, self.field_path, self.message = file, line, field_path, message
        self.problems: tuple[ScenarioError, ...] = (self, *more)
        super().__init__("\n".join(_located(p.file, p.line, p.field_path, p.message)
                                   for p in self.problems))


def _located(file: str, line: int | None, field_path: str, message: str) -> str:
    where = f"{file}:{line}" if line else file
    shown = field_path if len(field_path) <= 120 else field_path[:117] + "..."
    what = f" {shown}:" if field_path else ""
    return f"{where}:{what} {message}"


class ScenarioWarning(UserWarning):
    """A scenario that is valid but may not mean what its author thinks: a value that
    replaces a parent's staged path (``file:line: field: message``)."""

    def __init__(self, file: str, line: int | None, field_path: str, message: str):
        self.file, self.line, self.field_path, self.message = file, line, field_path, message
        super().__init__(_located(file, line, field_path, message))


# ----------------------------------------------------------------------------- errors


def translate(err: ValidationError, data: Any, where: dict[Loc, tuple[str, int]],
               default_file: str) -> ScenarioError:
    """Every validation error as one ScenarioError, each problem pointing at its file, line
    and field, in file and line order. Of a union's alternatives only the errors of the one
    the value was written as are kept (a slowdown written as a mapping is not also told it
    "should be a valid list")."""
    found: dict[tuple[str, int | None, str], str] = {}
    located = [(_data_path((*e["loc"], *getattr(e.get("ctx", {}).get("error"), "at", ())),
                           data), e) for e in err.errors(include_url=False)]
    kept = [(path, e) for path, e in located
            if not (e["type"] in _OTHER_BRANCH and any(p[:len(path)] == path and q is not e
                                                       for p, q in located))]
    forms: dict[Loc, list[str]] = {}
    if not kept:  # the value is none of a union's forms: say which forms it may take
        for path, e in located:
            form = _FORMS.get(e["type"], e["msg"])
            fields = _allowed_fields(path, data) if e["type"].startswith("model") else []
            forms.setdefault(path, []).append(
                f"{form} ({', '.join(fields)})" if fields else form)
        kept = [next((path, e) for path, e in located if path == p) for p in forms]
    for path, e in kept:
        file, line = default_file, None
        for n in range(len(path), 0, -1):
            if path[:n] in where:
                file, line = where[path[:n]]
                break
        message = (f"write {' or '.join(dict.fromkeys(forms[path]))} here, got "
                   f"{e.get('input')!r}" if path in forms else _message(e, path, data))
        found.setdefault((file, line, _dotted(path)), message)
    order = {f: i for i, f in enumerate(dict.fromkeys(f for f, _ in where.values()))}
    problems = [ScenarioError(f, ln, p, m) for (f, ln, p), m in sorted(
        found.items(), key=lambda kv: (order.get(kv[0][0], -1), kv[0][1] or 0))]
    first, *more = problems
    return ScenarioError(first.file, first.line, first.field_path, first.message, more)


_OTHER_BRANCH = ("list_type", "dict_type", "model_type", "model_attributes_type",
                 "none_required", "union_tag_invalid")
"""Errors that say a value is not of a union's other alternative."""

_FORMS = {"list_type": "a list", "dict_type": "a mapping", "model_type": "a mapping of fields",
          "model_attributes_type": "a mapping of fields", "none_required": "null"}
"""How to write a union's alternative, by the error that says a value is not it."""

NAME_RULE = ("1-64 letters, digits, '_', '.' or '-', starting with a letter or digit "
             "(e.g. credit_stress_2027)")


def _message(e: dict[str, Any], path: Loc, data: Any) -> str:
    """A pydantic error's message in the scenario's words: fields, never class names, and
    how to write the value."""
    from .fields import text_number_hint  # the schema's modules: loaded by then

    msg = e["msg"].removeprefix("Value error, ")
    value = e.get("input")
    if e["type"] == "extra_forbidden":
        allowed = _allowed_fields(path[:-1], data)
        close = difflib.get_close_matches(str(path[-1]), allowed, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        return f"unknown field {path[-1]!r}.{hint} Allowed here: {', '.join(allowed)}"
    if e["type"] == "missing":
        allowed = _allowed_fields(path[:-1], data)
        return f"{path[-1]!r} is required here" + (
            f" (the fields here: {', '.join(allowed)})" if allowed else "")
    if e["type"] == "string_pattern_mismatch" and path == ("name",):
        return f"a scenario name is {NAME_RULE}, got {value!r}"
    if e["type"] == "literal_error":
        return f"{msg} (got {value!r})"
    if isinstance(value, str) and (hint := text_number_hint(value)):
        return f"{msg.split(', got the text')[0]}, got the text {value!r}: {hint}"
    if "input" in e and not isinstance(value, dict | list) and e["type"] not in (
            "missing", "value_error"):
        return f"{msg} (got {value!r})"
    return msg


def _data_path(loc: Loc, data: Any) -> Loc:
    """The part of a pydantic error location that exists in the data (drops union tags)."""
    out: list[Any] = []
    cur = data
    for item in loc:
        if isinstance(cur, dict):
            key = next((k for k in cur if k == item or str(item) in (_dotted((k,)), repr(k))),
                       _MISSING)
            if key is _MISSING:
                if _is_tag(item):
                    continue  # a union branch's tag
                out.append(item)  # a missing field: report it, stop descending
                break
            out.append(key)
            cur = cur[key]
        elif isinstance(cur, list) and isinstance(item, int) and 0 <= item < len(cur):
            out.append(item)
            cur = cur[item]
        else:
            continue
    return tuple(out)


_MISSING = object()


def _is_tag(item: Any) -> bool:
    """A pydantic union branch's tag in an error location (``normal``, ``Slowdown``,
    ``list[PathStep]``, ``function-after[...]``): fields are lower-case snake_case words."""
    from .fields import DIST_MODELS

    return isinstance(item, str) and (item in DIST_MODELS or item[:1].isupper() or "[" in item
                                      or item in ("float", "int", "str", "bool", "date"))


def _allowed_fields(path: Loc, data: Any = None) -> list[str]:
    """Field names accepted at ``path`` (a mapping location), following the schema; for a
    distribution, those of its ``dist``."""
    from .fields import DIST_MODELS
    from .schema import Scenario

    node = data
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    if isinstance(node, dict) and isinstance(node.get("dist"), str) and (
            node["dist"] in DIST_MODELS):
        return list(DIST_MODELS[node["dist"]].model_fields)
    model: Any = Scenario
    for key in path:
        model = _model_of(model, key)
        if model is None:
            return []
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [f.alias or n for n, f in model.model_fields.items()]
    return []


def _model_of(model: Any, key: Any) -> Any:
    if isinstance(model, type) and issubclass(model, BaseModel):
        f = model.model_fields.get(str(key))
        return _unwrap(f.annotation) if f else None
    return None


def _unwrap(ann: Any) -> Any:
    origin = typing.get_origin(ann)
    if origin in (typing.Union, types.UnionType):
        for a in typing.get_args(ann):
            u = _unwrap(a)
            if isinstance(u, type) and issubclass(u, BaseModel):
                return u
        return None
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(ann)[0])
    return ann

