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
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from .builtins import builtin_names, library_dir
from .problems import Loc, ScenarioError, ScenarioWarning, _dotted
from .problems import translate as _translate
from .yaml_read import MAX_BYTES, Located, parse_yaml
from .yaml_safe import Dumper, load_yaml

if TYPE_CHECKING:
    from .schema import Scenario

MAX_EXTENDS_DEPTH = 32

# ----------------------------------------------------------------------------- library


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
    return yaml.dump(_plain(value), Dumper=Dumper, default_flow_style=True,
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
        from .schema import Scenario  # the schema's models take ~0.4 s to build: only here

        scenario = Scenario.model_validate(data)
    except ValidationError as e:
        raise _translate(e, data, located.where, shown) from None
    resolved = yaml.dump(_plain(data), Dumper=Dumper, sort_keys=False, allow_unicode=True)
    return LoadedScenario(scenario, str(path), resolved, tuple(chain), dict(located.where),
                          tuple(notes))


_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")


def derived_name(base: str, overrides: Mapping[str, Any]) -> str:
    """``base`` and each override's last field and value, within the name rule, e.g.
    ``baseline.growth_shift-0.4``; a long one ends in a hash of the whole."""
    def short(v: Any) -> str:  # 3 for 3.0, but every digit where %g would merge two values
        return (f"{v:g}" if float(f"{v:g}") == v else repr(v)) if isinstance(v, float) else (
            _flow(v))

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
    data = load_yaml(base.resolved_yaml)
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



