"""YAML files validated by pydantic, with every error pointing at file:line:column."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from mysteryshop.errors import JourneyError, suggest

Model = TypeVar("Model", bound=BaseModel)


def read_yaml(path: Path) -> Any:
    """Round-trip YAML (keeps positions). Syntax errors become JourneyError with file:line:col."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise JourneyError([f"{path}: cannot read file: {exc.strerror}"]) from exc
    try:
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise JourneyError([f"{where}: YAML syntax error: {exc.problem or exc.context}"]) from exc


def position(doc: Any, loc: Sequence[str | int]) -> tuple[int, int]:
    """1-based (line, column) of the deepest node of `loc` that exists in `doc`."""
    line, col = 0, 0
    node = doc
    for key in loc:
        if isinstance(node, CommentedMap) and key in node:
            line, col = node.lc.key(key)
            node = node[key]
        elif isinstance(node, CommentedSeq) and isinstance(key, int) and key < len(node):
            line, col = node.lc.item(key)
            node = node[key]
        else:
            break
    else:
        if isinstance(node, CommentedMap | CommentedSeq) and not loc:
            line, col = node.lc.line, node.lc.col
    return line + 1, col + 1


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
    if not isinstance(doc, dict):
        raise JourneyError([f"{path}:1:1: expected a mapping of fields at the top level, found {type(doc).__name__}"])
    data = dict(defaults or {}) | dict(doc)
    try:
        return model.model_validate(data), doc
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            line, col = position(doc, error["loc"])
            problems.append(f"{path}:{line}:{col}: {message_for(error, model)}")
        raise JourneyError(problems) from None
