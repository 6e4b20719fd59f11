"""YAML files validated by pydantic, with every error pointing at file:line:column."""

from __future__ import annotations

import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from mysteryshop.errors import JourneyError, suggest
from mysteryshop.yamlparse import YamlList, YamlMap, YamlProblem, parse_yaml

Model = TypeVar("Model", bound=BaseModel)

#: the largest journey or target file read, checked before reading: a 10,000-step journey is about 0.7 MB
MAX_BYTES = 2_000_000


def read_yaml(path: Path) -> Any:
    """The YAML document of a file, keeping positions; any problem becomes a JourneyError with file:line:col.

    Files over MAX_BYTES are refused before they are read, so that checking any file takes a few seconds at most.
    """
    limit = f"journey and target files are limited to {MAX_BYTES / 1e6:g} MB (a 10,000-step journey is about 0.7 MB). Split it into smaller journeys"
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise JourneyError([f"{path}: not a regular file; journeys and targets are YAML text files"])
        size = info.st_size
        if size > MAX_BYTES:
            raise JourneyError([f"{path}: the file is {size / 1e6:.1f} MB; {limit}"])
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)  # the file may have grown since
    except OSError as exc:
        raise JourneyError([f"{path}: cannot read file: {exc.strerror}"]) from exc
    if len(data) > MAX_BYTES:
        raise JourneyError([f"{path}: the file is over {MAX_BYTES / 1e6:g} MB; {limit}"])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise JourneyError([f"{path}:{line}:{column}: not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8"]) from None
    try:
        return parse_yaml(text)
    except YamlProblem as exc:
        raise JourneyError([f"{path}:{exc.line}:{exc.column}: {exc.message}"]) from None


def position(doc: Any, loc: Sequence[str | int]) -> tuple[int, int]:
    """1-based (line, column) of the deepest node of `loc` that exists in `doc`."""
    line, col = 1, 1
    node = doc
    for key in loc:
        if isinstance(node, YamlMap) and key in node:
            line, col = node.at[key]
            node = node[key]
        elif isinstance(node, YamlList) and isinstance(key, int) and 0 <= key < len(node):
            line, col = node.at[key]
            node = node[key]
        else:
            break
    else:
        if isinstance(node, YamlMap | YamlList) and not loc:
            line, col = node.where
    return line, col


def dotted(loc: Sequence[str | int]) -> str:
    out = ""
    for key in loc:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out or "(top level)"


def message_for(error: Any, model: type[BaseModel]) -> str:
    """A readable message for one pydantic error, with the dotted location first."""
    loc = [k for k in error["loc"] if not (isinstance(k, str) and k.startswith("function-"))]
    kind = error["type"]
    if kind == "extra_forbidden":
        field = str(loc[-1])
        fields = _fields_at(model, loc[:-1])
        return (
            f"{dotted(loc[:-1])}: unknown field '{field}'.{suggest(field, fields)}"
            f" Valid fields: {', '.join(sorted(fields))}."
        )
    if kind == "missing":
        return f"{dotted(loc)}: required field is missing. Add '{loc[-1]}:' here."
    msg = error["msg"].removeprefix("Value error, ")
    return f"{dotted(loc)}: {msg}"


def _fields_at(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    current: Any = model
    for key in loc:
        if isinstance(key, int):
            continue
        field = current.model_fields.get(key)
        if field is None:
            return list(current.model_fields)
        annotation = field.annotation
        for candidate in getattr(annotation, "__args__", ()) or (annotation,):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                current = candidate
                break
    return list(current.model_fields)


def find_file(kind: str, name: str, directory: Path) -> Path:
    """`directory/<name>.yaml`, or a JourneyError naming the known ones and the closest match."""
    candidate = directory / f"{name}.yaml"
    if candidate.exists():
        return candidate
    known = sorted(p.stem for p in directory.glob("*.yaml"))
    raise JourneyError([f"{directory}: no {kind} '{name}'.{suggest(name, known)} Known {kind}s: {', '.join(known) or '(none)'}"])


def load_model(path: Path, model: type[Model], *, defaults: dict[str, Any] | None = None) -> tuple[Model, Any]:
    """Validate the YAML file at `path` as `model`; all problems of the file at once."""
    doc = read_yaml(path)
    if doc is None:
        raise JourneyError([f"{path}:1:1: the file is empty; it needs a mapping of fields ({', '.join(model.model_fields)})"])
    if not isinstance(doc, dict):
        raise JourneyError([f"{path}:1:1: expected a mapping of fields at the top level, found {'a list' if isinstance(doc, list) else repr(doc)[:40]}"])
    data = dict(defaults or {}) | dict(doc)
    try:
        return model.model_validate(data), doc
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            line, col = position(doc, error["loc"])
            problems.append(f"{path}:{line}:{col}: {message_for(error, model)}")
        raise JourneyError(problems) from None
