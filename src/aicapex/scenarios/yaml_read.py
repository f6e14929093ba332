"""Scenario YAML read safely, with the (file, line) of every key and item: duplicate and
non-scalar keys, oversized input and alias bombs are refused with a ``ScenarioError``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import yaml

from .problems import Loc, ScenarioError, _dotted
from .yaml_safe import Loader as _Loader

MAX_NODES = 20_000  # a real scenario has a few hundred nodes
MAX_DEPTH = 64
MAX_BYTES = 5_000_000

@dataclass
class Located:
    """YAML data with the (file, line) of every mapping key and sequence item."""

    data: Any
    where: dict[Loc, tuple[str, int]] = field(default_factory=dict)


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




