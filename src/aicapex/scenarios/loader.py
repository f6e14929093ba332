"""Loading scenario files: safe YAML with line numbers, ``extends:`` with a deep merge, and
errors that name the file, the line, the field and what is allowed."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import difflib
import functools
import hashlib
import re
import types
import typing
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from .schema import DIST_MODELS, Scenario, text_number_hint

MAX_NODES = 20_000  # a real scenario has a few hundred nodes
MAX_DEPTH = 64
MAX_BYTES = 5_000_000
MAX_EXTENDS_DEPTH = 32

Loc = tuple[Any, ...]


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


@dataclass
class Located:
    """YAML data with the (file, line) of every mapping key and sequence item."""

    data: Any
    where: dict[Loc, tuple[str, int]] = field(default_factory=dict)


# ----------------------------------------------------------------------------- YAML

# libyaml's parser and emitter where PyYAML was built with them (its wheels are): the same
# safe constructors, 10-20x faster than the pure-Python classes.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def parse_yaml(text: str, file: str) -> Located:
    """Safe-load one YAML document, recording lines; rejects duplicate keys, non-scalar keys,
    oversized input and alias bombs."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise ScenarioError(file, None, "", f"file is larger than {MAX_BYTES // 1_000_000} MB")
    if "\x00" in text:
        raise ScenarioError(file, None, "", "file contains NUL bytes; is it a YAML text file?")
    loader = None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        raise ScenarioError(file, line, "", f"not valid YAML: {e.problem or e}") from None
    except yaml.reader.ReaderError as e:
        raise ScenarioError(file, None, "", f"not valid YAML text: {e.reason} "
                            f"(character {e.character!r} at position {e.position})") from None
    except yaml.YAMLError as e:
        raise ScenarioError(file, None, "", f"not valid YAML: {e}") from None
    except RecursionError:
        raise ScenarioError(file, None, "", "YAML nested too deeply") from None
    finally:
        if loader is not None:
            loader.dispose()
    out = Located(None)
    if node is None:
        raise ScenarioError(file, None, "", "file is empty; a scenario needs at least 'name:'")
    counter = [0]
    out.data = _build(node, (), file, out.where, counter, 0, loader)
    return out


def _build(node, loc: Loc, file: str, where, counter, depth, loader) -> Any:
    counter[0] += 1
    line = node.start_mark.line + 1
    if counter[0] > MAX_NODES:
        raise ScenarioError(file, line, _dotted(loc),
                            f"more than {MAX_NODES} YAML nodes (alias expansion?)")
    if depth > MAX_DEPTH:
        raise ScenarioError(file, line, _dotted(loc), f"nested deeper than {MAX_DEPTH} levels")
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        explicit_keys: dict[Any, bool] = {}
        explicit = {id(k) for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"}
        try:
            loader.flatten_mapping(node)
        except yaml.MarkedYAMLError as e:
            raise ScenarioError(file, line, _dotted(loc),
                                f"bad YAML merge key (<<): {e.problem or e}") from None
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise ScenarioError(file, key_node.start_mark.line + 1, _dotted(loc),
                                    "mapping keys must be plain values")
            key = _scalar(key_node, loader, file, loc)
            if not isinstance(key, str | int | float | bool | dt.date) and key is not None:
                raise ScenarioError(file, key_node.start_mark.line + 1, _dotted(loc),
                                    f"unsupported key type {type(key).__name__}")
            if key in result and id(key_node) in explicit and explicit_keys.get(key):
                raise ScenarioError(file, key_node.start_mark.line + 1, _dotted((*loc, key)),
                                    "duplicate key")
            # a key merged in with `<<:` gives way to one written here (merged keys come
            # first, in the order that lets the later win, as PyYAML constructs them)
            explicit_keys[key] = explicit_keys.get(key, False) or id(key_node) in explicit
            where[(*loc, key)] = (file, key_node.start_mark.line + 1)
            result[key] = _build(value_node, (*loc, key), file, where, counter, depth + 1,
                                 loader)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            where[(*loc, i)] = (file, item.start_mark.line + 1)
            items.append(_build(item, (*loc, i), file, where, counter, depth + 1, loader))
        return items
    return _scalar(node, loader, file, loc)


def _scalar(node, loader, file: str, loc: Loc) -> Any:
    try:
        return loader.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, OverflowError) as e:
        raise ScenarioError(file, node.start_mark.line + 1, _dotted(loc),
                            f"cannot read value {node.value!r}: {e}") from None


def _dotted(loc: Iterable[Any]) -> str:
    return ".".join(x.isoformat() if isinstance(x, dt.date) else str(x) for x in loc)


# ----------------------------------------------------------------------------- library


def library_dir() -> Path:
    return Path(str(resources.files(__package__).joinpath("library")))


def builtin_names() -> list[str]:
    """Names of the built-in scenarios: baseline first, then alphabetically."""
    return sorted((p.stem for p in library_dir().glob("*.yaml")),
                  key=lambda n: (n != "baseline", n))


def _resolve(ref: str, relative_to: Path | None, file: str, line: int | None) -> Path:
    """A scenario reference: a file path (relative to the extending file, or to the working
    directory for a file named on the command line) or a built-in. An ``extends:`` path is
    looked up beside its file only: were the working directory a fallback, a scenario's
    meaning would depend on where it is run from."""
    if ref.endswith((".yaml", ".yml")) or "/" in ref or "\\" in ref:
        candidate = relative_to.parent / ref if relative_to else Path(ref)
    else:
        candidate = library_dir() / f"{ref}.yaml"
    if len(ref) > 255 or "\x00" in ref:
        raise ScenarioError(file, line, "extends" if relative_to else "",
                            "not a scenario name or file path (too long or contains NUL)")
    with contextlib.suppress(OSError):  # names the OS cannot even look up
        if candidate.is_file():
            return candidate
    close = difflib.get_close_matches(ref, builtin_names(), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ScenarioError(file, line, "extends" if relative_to else "",
                        f"no scenario file or built-in named {ref!r}{hint} "
                        f"(built-ins: {', '.join(builtin_names())})")


# ----------------------------------------------------------------------------- merging


def _atomic(path: Loc, value: Any) -> bool:
    """Mappings that are one value, replaced whole: distributions and meeting odds."""
    return (isinstance(value, dict) and "dist" in value) or (path[:1] == ("fed",) and (
        path[1:2] == ("default_meeting",) or (len(path) == 3 and path[1] == "meetings")))


def deep_merge(base: Any, over: Any, path: Loc = ()) -> Any:
    """Mappings merge key by key (recursively); anything else in ``over`` replaces, and so do
    distributions and meeting odds (a child's odds must not mix with its parent's)."""
    if isinstance(base, dict) and isinstance(over, dict) and not _atomic(path, over):
        out = dict(base)
        for k, v in over.items():
            out[k] = deep_merge(base[k], v, (*path, k)) if k in base else v
        return out
    return over


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario with the text it came from: ``sources`` maps each key's place in
    the resolved data (a tuple of keys and list indices) to the (file, line) that set it, and
    ``warnings`` holds what validation let through but the author should know."""

    scenario: Scenario
    path: str               # the file named by the user (or the built-in's file)
    resolved_yaml: str      # the scenario after inheritance, as YAML
    chain: tuple[str, ...]  # files read, child first
    sources: dict[Loc, tuple[str, int]] = field(default_factory=dict, compare=False,
                                                repr=False)
    warnings: tuple[ScenarioWarning, ...] = field(default=(), compare=False, repr=False)
    swept: dict[str, Any] = field(default_factory=dict, compare=False)
    """For a point of a sweep: each swept field (dotted) and its value here."""

    @property
    def name(self) -> str:
        return self.scenario.name

    def with_overrides(self, overrides: dict[str, Any], name: str | None = None
                       ) -> LoadedScenario:
        """This scenario with ``overrides`` (dotted field -> value, e.g.
        ``{"capex.slowdown.growth_shift": -0.4}``; a value replaces the field whole) applied
        on top, validated as a file would be. ``name`` defaults to this name with the last
        part of each overridden field and its value, e.g. ``baseline.growth_shift-0.4``."""
        return derived(self, overrides, name)


def _read(path: Path, shown: str) -> str:
    try:  # read at most one byte past the limit (a FIFO or /dev/zero has no useful size)
        with path.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as e:
        raise ScenarioError(shown, None, "", f"cannot read file: {e.strerror}") from None
    if len(raw) > MAX_BYTES:
        raise ScenarioError(shown, None, "", f"file is larger than {MAX_BYTES // 1_000_000} MB")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ScenarioError(shown, None, "", f"not UTF-8 text (byte {e.start})") from None


IDENTITY = ("name", "description", "extends")
"""Fields a scenario does not inherit from the scenarios it extends."""

Layer = tuple[Path, Located, str]
"""One file of a scenario's inheritance: its real path, parsed data and name as shown."""


def _load_layers(path: Path, shown: str, stack: tuple[Path, ...]) -> list[Layer]:
    real = path.resolve()
    if real in stack:
        cycle = " -> ".join(p.name for p in (*stack, real))
        raise ScenarioError(shown, None, "extends", f"extends cycle: {cycle}")
    if len(stack) >= MAX_EXTENDS_DEPTH:
        raise ScenarioError(shown, None, "extends", f"more than {MAX_EXTENDS_DEPTH} extends")
    if path.parent == library_dir():
        located = _parse_builtin(path, shown)
    else:
        located = parse_yaml(_read(path, shown), shown)
    return _layers(located, path, shown, (*stack, real))


@functools.lru_cache(maxsize=64)
def _parse_builtin(path: Path, shown: str) -> Located:
    """Built-in files do not change while the package runs; parse each once. (Nothing
    downstream mutates the parsed data: merges and validation build new objects.)"""
    return parse_yaml(_read(path, shown), shown)


MAX_PARENTS = 16


def _parents(located: Located, shown: str) -> list[tuple[str, int | None]]:
    """The references ``extends:`` names (one, or a list) with their lines."""
    ref = located.data.get("extends")
    line = located.where.get(("extends",), (shown, None))[1]
    if ref is None:
        return []
    refs = ref if isinstance(ref, list) else [ref]
    if not refs or len(refs) > MAX_PARENTS or not all(isinstance(r, str) for r in refs):
        raise ScenarioError(shown, line, "extends",
                            "extends names a built-in scenario or a file, or a list of "
                            f"1-{MAX_PARENTS} of them (e.g. extends: [credit_stress, "
                            "tariff_escalation])")
    return [(r, located.where.get(("extends", i), (shown, line))[1]) if isinstance(ref, list)
            else (r, line) for i, r in enumerate(refs)]


def _layers(located: Located, path: Path, shown: str, stack: tuple[Path, ...]) -> list[Layer]:
    """The files a scenario is built from, in the order they apply: each parent's layers in
    the order ``extends:`` lists them (a file reached twice, like the baseline under two
    parents, applies once, at its first place), then this file. Every file comes after all
    the files it extends, and a later one overrides an earlier one."""
    if not isinstance(located.data, dict):
        raise ScenarioError(shown, 1, "", "a scenario file must be a mapping of fields "
                            f"(name:, settings:, fed:, ...), got {type(located.data).__name__}")
    order: list[Layer] = []
    for ref, line in _parents(located, shown):
        parent_path = _resolve(ref, path, shown, line)
        parent_shown = str(parent_path) if parent_path.parent != library_dir() else (
            f"<built-in {parent_path.stem}>")
        try:
            layers = _load_layers(parent_path, parent_shown, stack)
        except ScenarioError as e:  # say which file led there: the user may not know the parent
            where = f"{shown}:{line}" if line else shown
            raise ScenarioError(e.file, e.line, e.field_path,
                                f"{e.message} (extended by {where})") from None
        seen = {real for real, _, _ in order}
        order += [layer for layer in layers if layer[0] not in seen]
    return [*order, (stack[-1] if stack else path.resolve(), located, shown)]


def _staged(value: Any) -> bool:
    """A path of dated steps or a list of slowdowns: what one value replacing it loses."""
    return isinstance(value, list) and (len(value) > 1 or any(
        isinstance(x, dict) and "from" in x for x in value))


def _replaced_stages(base: Any, over: Any, path: Loc = ()) -> Iterable[Loc]:
    """Where ``deep_merge(base, over)`` replaces a staged value of ``base`` by a single value:
    what an author who meant to change one stage writes. (A list of steps, even one, restates
    the path, knowingly.)"""
    if isinstance(base, dict) and isinstance(over, dict) and not _atomic(path, over):
        for k, v in over.items():
            if k in base:
                yield from _replaced_stages(base[k], v, (*path, k))
    elif _staged(base) and not isinstance(over, list):
        yield path


def _flow(value: Any) -> str:
    return yaml.dump(_plain(value), Dumper=_Dumper, default_flow_style=True,
                     width=10_000).strip().removesuffix("...").strip()


def _merge_layers(layers: list[Layer]) -> tuple[Located, list[ScenarioWarning]]:
    """The layers merged in order (``deep_merge``); a value that replaces an earlier layer's
    staged path gives a warning naming both."""
    merged = Located({})
    notes: list[ScenarioWarning] = []
    for i, (_, located, shown) in enumerate(layers):
        last = i == len(layers) - 1
        own = located.data if last else {k: v for k, v in located.data.items()
                                          if k not in IDENTITY}
        for loc in _replaced_stages(merged.data, own):
            file, line = located.where.get(loc, (shown, None))
            before = merged.where.get(loc, ("an earlier file", None))
            set_at = f"{before[0]}:{before[1]}" if before[1] else before[0]
            notes.append(ScenarioWarning(
                file, line, _dotted(loc),
                f"{_flow(_at(own, loc))} replaces the staged path {_flow(_at(merged.data, loc))} "
                f"set in {set_at}; to change one stage, list every step again (a list of "
                "steps replaces it without this warning)"))
        merged = Located(deep_merge(merged.data, own),
                         {**merged.where, **{k: v for k, v in located.where.items()
                                             if last or (k and k[0] not in IDENTITY)}})
    return merged, notes


def _at(data: Any, loc: Loc) -> Any:
    for k in loc:
        data = data[k]
    return data


def _assemble(layers: list[Layer], path: Path, shown: str) -> LoadedScenario:
    merged, notes = _merge_layers(layers)
    loaded = _validate(merged, [s for _, _, s in reversed(layers)], path, shown, notes)
    for note in notes:
        warnings.warn(note, stacklevel=3)
    return loaded


def source_text(ref: str | Path) -> str:
    """The text of a scenario file or built-in, as written (``aicapex show``)."""
    path = _resolve(str(ref), None, str(ref), None)
    return _read(path, str(ref))


def load_scenario(ref: str | Path) -> LoadedScenario:
    """Load, inherit and validate one scenario given by file path or built-in name. A value
    that replaces a parent's staged path is valid but warns (``ScenarioWarning``)."""
    ref_s = str(ref)
    path = _resolve(ref_s, None, ref_s, None)
    shown = ref_s if path.parent != library_dir() else f"<built-in {path.stem}>"
    return _assemble(_load_layers(path, shown, ()), path, shown)


def parse_scenario_text(text: str, file: str = "<string>",
                        relative_to: str | Path | None = None) -> LoadedScenario:
    """Validate scenario YAML given as text (``extends:`` resolves from ``relative_to``, a
    directory, or the working directory)."""
    return parse_scenario_data(parse_yaml(text, file), file, relative_to)


def parse_scenario_data(data: dict[str, Any] | Located, file: str = "<dict>",
                        relative_to: str | Path | None = None) -> LoadedScenario:
    """Validate a scenario given as a mapping, as a file's YAML would read (``extends:``
    resolves from ``relative_to``, a directory, or the working directory)."""
    base = Path(relative_to) if relative_to is not None else Path.cwd()
    pseudo = base / "<string>.yaml"
    located = data if isinstance(data, Located) else Located(data, _everywhere(data, file))
    return _assemble(_layers(located, pseudo, file, ()), pseudo, file)


def _everywhere(data: Any, file: str, loc: Loc = ()) -> dict[Loc, tuple[str, int]]:
    """Every key and item of ``data`` placed in ``file`` (data with no lines: a mapping)."""
    out: dict[Loc, tuple[str, int]] = {}
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(
        data, list) else ()
    for k, v in items:
        out[(*loc, k)] = (file, 0)
        out.update(_everywhere(v, file, (*loc, k)))
    return out


def _validate(located: Located, chain: list[str], path: Path, shown: str,
              notes: list[ScenarioWarning] = ()) -> LoadedScenario:
    data = dict(located.data)
    data.setdefault("name", path.stem)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as e:
        raise _translate(e, data, located.where, shown) from None
    resolved = yaml.dump(_plain(data), Dumper=_Dumper, sort_keys=False, allow_unicode=True)
    return LoadedScenario(scenario, str(path), resolved, tuple(chain), dict(located.where),
                          tuple(notes))


_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")


def derived_name(base: str, overrides: Mapping[str, Any]) -> str:
    """``base`` and each override's last field and value, within the name rule, e.g.
    ``baseline.growth_shift-0.4``; a long one ends in a hash of the whole."""
    def short(v: Any) -> str:
        return f"{v:g}" if isinstance(v, float) else _flow(v)

    parts = [base] + [f"{k.rsplit('.', 1)[-1]}{short(v)}" for k, v in overrides.items()]
    name = _NAME_CHARS.sub("_", ".".join(parts)).strip("_")
    if len(name) > 64:
        name = name[:55] + "." + hashlib.sha256(name.encode()).hexdigest()[:8]
    return name


def derived(base: LoadedScenario, overrides: Mapping[str, Any], name: str | None = None,
            drop: tuple[str, ...] = ()) -> LoadedScenario:
    """``base`` with ``overrides`` (dotted field -> value; a value replaces the field whole,
    a missing section or mapping is created) on top, and its top-level fields ``drop``
    removed, validated as a file would be."""
    if not overrides:
        raise ValueError("with_overrides needs at least one field, e.g. "
                         "{'capex.slowdown.growth_shift': -0.4}")
    data = yaml.load(base.resolved_yaml, Loader=_Loader)
    for key in ("extends", *drop):  # (extends: resolved, its values are in the data)
        data.pop(key, None)
    where = {k: v for k, v in base.sources.items() if k[0] not in ("extends", *drop)}
    shown = f"<{base.name} with overrides>"
    for key, value in overrides.items():
        loc = tuple(key.split("."))
        if not key or not all(loc):
            raise ScenarioError(shown, None, key, "an override is a dotted field like "
                                "'capex.slowdown.growth_shift'")
        node = data
        for i, k in enumerate(loc[:-1]):
            if not isinstance(node.setdefault(k, {}), dict):
                raise ScenarioError(shown, None, key, f"{'.'.join(loc[:i + 1])} is a value, "
                                    "not a section; override it whole")
            node = node[k]
        node[loc[-1]] = value
        where = {k: v for k, v in where.items() if k[:len(loc)] != loc}
        where[loc] = (f"<override {key}>", 0)
    data["name"] = name or derived_name(base.name, overrides)
    data.setdefault("description", base.scenario.description)
    loaded = parse_scenario_data(Located(data, where), shown)
    return dataclasses.replace(loaded, chain=(shown, *base.chain))


def load_scenarios(refs: Iterable[str | Path]) -> list[LoadedScenario]:
    """Load several scenarios; names must be unique within a batch."""
    return unique([load_scenario(r) for r in refs])


def unique(loaded: Iterable[LoadedScenario]) -> list[LoadedScenario]:
    """``loaded`` as a list, refusing two scenarios of one name (a run's coordinate)."""
    out: list[LoadedScenario] = list(loaded)
    seen: dict[str, str] = {}
    for s in out:
        if s.scenario.name in seen:
            raise ScenarioError(s.path, None, "name",
                                f"scenario name {s.scenario.name!r} is also used by "
                                f"{seen[s.scenario.name]}; names must be unique in a run")
        seen[s.scenario.name] = s.path
    return out


def _plain(x: Any) -> Any:
    if isinstance(x, dict):
        return {(k.isoformat() if isinstance(k, dt.date) else k): _plain(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_plain(v) for v in x]
    if isinstance(x, dt.date):
        return x.isoformat()
    return x


# ----------------------------------------------------------------------------- errors


def _translate(err: ValidationError, data: Any, where: dict[Loc, tuple[str, int]],
               default_file: str) -> ScenarioError:
    """Every validation error as one ScenarioError, each problem pointing at its file, line
    and field, in file and line order. Of a union's alternatives only the errors of the one
    the value was written as are kept (a slowdown written as a mapping is not also told it
    "should be a valid list")."""
    found: dict[tuple[str, int | None, str], str] = {}
    located = [(_data_path((*e["loc"], *getattr(e.get("ctx", {}).get("error"), "at", ())),
                           data), e) for e in err.errors(include_url=False)]
    for path, e in located:
        if e["type"] in _OTHER_BRANCH and any(p[:len(path)] == path and q is not e
                                              for p, q in located):
            continue
        file, line = default_file, None
        for n in range(len(path), 0, -1):
            if path[:n] in where:
                file, line = where[path[:n]]
                break
        found.setdefault((file, line, _dotted(path)), _message(e, path, data))
    order = {f: i for i, f in enumerate(dict.fromkeys(f for f, _ in where.values()))}
    problems = [ScenarioError(f, ln, p, m) for (f, ln, p), m in sorted(
        found.items(), key=lambda kv: (order.get(kv[0][0], -1), kv[0][1] or 0))]
    first, *more = problems
    return ScenarioError(first.file, first.line, first.field_path, first.message, more)


_OTHER_BRANCH = ("list_type", "dict_type", "model_type", "model_attributes_type",
                 "none_required", "union_tag_invalid")
"""Errors that say a value is not of a union's other alternative."""

NAME_RULE = ("1-64 letters, digits, '_', '.' or '-', starting with a letter or digit "
             "(e.g. credit_stress_2027)")


def _message(e: dict[str, Any], path: Loc, data: Any) -> str:
    """A pydantic error's message in the scenario's words: fields, never class names, and
    how to write the value."""
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
    return isinstance(item, str) and (item in DIST_MODELS or item[:1].isupper() or "[" in item
                                      or item in ("float", "int", "str", "bool", "date"))


def _allowed_fields(path: Loc, data: Any = None) -> list[str]:
    """Field names accepted at ``path`` (a mapping location), following the schema; for a
    distribution, those of its ``dist``."""
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
