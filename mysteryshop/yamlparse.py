"""YAML text to plain dicts and lists that remember where each key and item was.

Parsed by libyaml (PyYAML's C binding) from its event stream, without recursion: a 10,000-step
journey parses in a fraction of a second, where ruamel's pure-Python round-trip loader took
seconds. Hostile input gets a `YamlProblem` with a line and column instead of a crash:
more than `MAX_VALUES` values, nesting deeper than `MAX_DEPTH`, aliases that expand to more than `MAX_ALIASED` values (a
"billion laughs" file), control characters, numbers too long to convert, tags that are not
plain YAML. Scalars follow the YAML 1.2 core schema, like ruamel did (`yes` and `on` stay text).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import yaml

#: how deep mappings and sequences may nest (journeys and targets need fewer than 10 levels)
MAX_DEPTH = 50
#: how many values (scalars, mappings, lists) a file may hold: a 10,000-step journey has about 80,000
MAX_VALUES = 100_000
#: how many values aliases (*name) may add to a file in all, counting nested aliases in full
MAX_ALIASED = 100_000

_Loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)  # libyaml when PyYAML was built with it
_CONTROL = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_SPECIAL: dict[str, Any] = {
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), None),
    **dict.fromkeys(("true", "True", "TRUE"), True),
    **dict.fromkeys(("false", "False", "FALSE"), False),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
}
_TAG = "tag:yaml.org,2002:"


class YamlProblem(Exception):
    """What is wrong with the text and where: 1-based line and column."""

    def __init__(self, line: int, column: int, message: str) -> None:
        self.line, self.column, self.message = line, column, message
        super().__init__(f"{line}:{column}: {message}")


class YamlMap(dict[Any, Any]):
    """A mapping; `at` holds the 1-based (line, column) of each key, `where` its own."""

    __slots__ = ("at", "where")

    def __init__(self, where: tuple[int, int]) -> None:
        super().__init__()
        self.where = where
        self.at: dict[Any, tuple[int, int]] = {}


class YamlList(list[Any]):
    """A sequence; `at` holds the 1-based (line, column) of each item, `where` its own."""

    __slots__ = ("at", "where")

    def __init__(self, where: tuple[int, int]) -> None:
        super().__init__()
        self.where = where
        self.at: list[tuple[int, int]] = []


class _Open:
    """A mapping or sequence being filled, with its expanded size and pending key."""

    __slots__ = ("anchor", "key", "key_at", "merges", "size", "value")

    def __init__(self, value: YamlMap | YamlList, anchor: str | None) -> None:
        self.value, self.anchor, self.size = value, anchor, 1
        self.key: Any = _NO_KEY
        self.key_at = (0, 0)
        self.merges: list[tuple[YamlMap, tuple[int, int]]] = []


_NO_KEY = object()
_MERGE = object()


def _at(mark: Any) -> tuple[int, int]:
    return mark.line + 1, mark.column + 1


def _scalar(event: Any) -> Any:
    value: str = event.value
    tag = event.tag
    if tag is None and event.implicit[0]:
        if value in _SPECIAL:
            return _SPECIAL[value]
        if _INT.fullmatch(value):
            return _number(value, int, event)
        if _FLOAT.fullmatch(value):
            return float(value)
        return value
    if tag in (None, "!", _TAG + "str"):
        return value
    converters: dict[str, Callable[[str], Any]] = {
        _TAG + "int": int, _TAG + "float": float, _TAG + "bool": lambda v: {"true": True, "false": False}[v.lower()],
        _TAG + "null": lambda v: None,
    }
    if tag not in converters:
        raise YamlProblem(*_at(event.start_mark), f"unsupported tag '{tag}'; journey and target files hold plain values, mappings and lists")
    return _number(value, converters[tag], event)


def _number(value: str, convert: Callable[[str], Any], event: Any) -> Any:
    try:
        if value.startswith(("0o", "0x")) and convert is int:
            return int(value, 0)
        return convert(value)
    except (ValueError, KeyError):
        raise YamlProblem(*_at(event.start_mark), f"'{value[:40]}' is not a valid {event.tag or 'number'}"
                          + (" (too long)" if len(value) > 40 else "")) from None


def _check_text(text: str) -> None:
    bad = _CONTROL.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        column = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        raise YamlProblem(line, column, f"control character U+{ord(bad.group()):04X}: this is not a text file, or it is damaged")


def parse_yaml(text: str) -> Any:
    """The single document in `text` as YamlMap / YamlList / scalars (None when there is none)."""
    _check_text(text)
    parser = _Loader(text)
    try:
        return _compose(parser)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = _at(mark) if mark else (1, 1)
        problem = exc.problem or exc.context
        if "nesting depth" in (problem or ""):
            problem += f"; journey and target files need fewer than 10 levels (at most {MAX_DEPTH})"
        raise YamlProblem(line, column, f"YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(1, 1, f"YAML error: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    finally:
        parser.dispose()


def _compose(parser: Any) -> Any:
    root: Any = None
    documents = 0
    stack: list[_Open] = []
    anchors: dict[str, tuple[Any, int]] = {}
    aliased = values = 0
    while True:
        event = parser.get_event()
        kind = type(event)
        if kind is yaml.ScalarEvent or kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            values += 1
            if values > MAX_VALUES:
                raise YamlProblem(*_at(event.start_mark), f"more than {MAX_VALUES:,} values in one file (a 10,000-step journey has about 80,000); split it into smaller journeys")
        if kind is yaml.StreamEndEvent:
            return root
        if kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise YamlProblem(*_at(event.start_mark), "a second document ('---'); a journey or target file holds one")
            continue
        if kind in (yaml.StreamStartEvent, yaml.DocumentEndEvent):
            continue
        if kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            if len(stack) >= MAX_DEPTH:
                raise YamlProblem(*_at(event.start_mark), f"nested more than {MAX_DEPTH} levels deep; journey and target files need fewer than 10")
            if event.tag not in (None, "!", _TAG + "map", _TAG + "seq"):
                raise YamlProblem(*_at(event.start_mark), f"unsupported tag '{event.tag}'; journey and target files hold plain values, mappings and lists")
            holder = YamlMap(_at(event.start_mark)) if kind is yaml.MappingStartEvent else YamlList(_at(event.start_mark))
            stack.append(_Open(holder, event.anchor))
            continue
        if kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            done = stack.pop()
            if done.merges:
                _merge(done)
            value, size, anchor, where = done.value, done.size, done.anchor, done.value.where
        elif kind is yaml.AliasEvent:
            if event.anchor not in anchors:
                raise YamlProblem(*_at(event.start_mark), f"alias *{event.anchor} names no anchor (&{event.anchor}) defined before it")
            value, size = anchors[event.anchor]
            aliased += size
            if aliased > MAX_ALIASED:
                raise YamlProblem(*_at(event.start_mark), f"aliases (*name) expand this file to more than {MAX_ALIASED:,} values; use fewer, smaller aliases")
            anchor, where = None, _at(event.start_mark)
        else:
            value, size, anchor, where = _scalar(event), 1, event.anchor, _at(event.start_mark)
        if anchor is not None:
            anchors[anchor] = (value, size)
        if not stack:
            root = value
            continue
        _add(stack[-1], value, size, where, kind is yaml.ScalarEvent and event.implicit[0])


def _add(parent: _Open, value: Any, size: int, where: tuple[int, int], plain: bool) -> None:
    parent.size += size
    holder = parent.value
    if isinstance(holder, YamlList):
        holder.append(value)
        holder.at.append(where)
        return
    if parent.key is _NO_KEY:
        if isinstance(value, dict | list):
            raise YamlProblem(*where, "a mapping or list used as a key; keys are plain names")
        if value in holder.at and not (value == "<<" and plain):
            line, _ = holder.at[value]
            raise YamlProblem(*where, f"duplicate key '{value}' (first on line {line}); each key may appear once in a mapping")
        parent.key, parent.key_at = (_MERGE if value == "<<" and plain else value), where
        return
    key, parent.key = parent.key, _NO_KEY
    if key is _MERGE:
        sources = value if isinstance(value, list) else [value]
        if not all(isinstance(source, YamlMap) for source in sources):
            raise YamlProblem(*where, "'<<' merges a mapping or a list of mappings into this one")
        parent.merges += [(source, parent.key_at) for source in sources]
        return
    holder[key] = value
    holder.at[key] = parent.key_at


def _merge(done: _Open) -> None:
    """`<<: *base`: keys of the merged mappings that the mapping does not set itself, first merge first."""
    holder = done.value
    assert isinstance(holder, YamlMap)
    for source, where in done.merges:
        for key, value in source.items():
            if key not in holder:
                holder[key] = value
                holder.at[key] = where
