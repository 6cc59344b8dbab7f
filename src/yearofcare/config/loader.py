"""The one loader: YAML files and keyword settings into validated, frozen models.

Every pydantic `ValidationError` becomes a `ConfigError` here and nowhere else. The message
names the file, the line (for YAML files) and the setting at fault, says what was found and
what was expected, and the hint says where the settings are documented.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from yearofcare.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Loaded:
    """A validated configuration with where it came from (recorded in run logs and outputs)."""

    model: Any
    path: Path | None
    sha256: str | None


def validate(
    model: type[M],
    values: Mapping[str, Any],
    *,
    source: str | None = None,
    lines: Mapping[tuple[Any, ...], int] | None = None,
    noun: str = "setting",
    spell: Callable[[str], str] | None = None,
) -> M:
    """`model` validated from `values`; a validation error becomes one ConfigError.

    `source` names where the values came from ("contract file terms.yaml, row 3");
    `lines` maps a setting's location (as pydantic reports it) to its line in a file;
    `noun` is what a setting is called there ("setting", "column", "option") and `spell`
    how its name is written there (e.g. `--end-fy` for the field `end_fy`).
    """
    try:
        return model.model_validate(dict(values))
    except ValidationError as exc:
        raise _config_error(model, exc, source, lines or {}, noun, spell or str) from None


def settings(model: type[M], /, **values: Any) -> M:
    """`model` from keyword settings; None means "use the default"."""
    return validate(model, {k: v for k, v in values.items() if v is not None})


def options(model: type[M], /, **values: Any) -> M:
    """`model` from command-line options (None = not given): errors name the option as typed,
    e.g. `--end-fy`."""
    return validate(
        model,
        {k: v for k, v in values.items() if v is not None},
        noun="option",
        spell=lambda name: "--" + name.replace("_", "-"),
    )


def load_settings(model: type[M], path: Path | str | None, /, **given: Any) -> M:
    """Settings from a YAML file (when given) with command-line options over them.

    The file is checked on its own first (errors name its line); options that are None were
    not given and leave the file's value (or the default). Relative paths in the file are
    relative to the file's folder.
    """
    if path is None:
        return options(model, **given)
    loaded = load_yaml(model, path)
    values = loaded.model.model_dump(exclude_unset=True)
    folder = Path(path).parent
    for key, value in values.items():
        if isinstance(value, Path) and not value.is_absolute():
            values[key] = folder / value
    values.update({k: v for k, v in given.items() if v is not None})
    return options(model, **values)


def read_yaml(path: Path | str, *, what: str = "configuration file") -> tuple[Any, dict]:
    """Parse a YAML file: (data, line of each setting). Errors name the file and line."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{what} {path} is a directory, not a file", hint="name the YAML file")
    if not path.is_file():
        raise ConfigError(f"{what} {path} not found", hint="check the path")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except UnicodeDecodeError:
        raise ConfigError(
            f"{what} {path} is not UTF-8 text", hint="save the file as UTF-8"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            f"{what} {path}{where}: not valid YAML ({problem})",
            hint="check the indentation and the ':' after each key",
        ) from None
    return data, _lines(node)


def load_yaml(model: type[M], path: Path | str, *, what: str | None = None) -> Loaded:
    """Read and validate a YAML configuration file into `model`, with its SHA-256."""
    path = Path(path)
    what = what or f"{getattr(model, 'config_name', 'configuration')} file"
    data, lines = read_yaml(path, what=what)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{what} {path} must hold settings as 'key: value' lines, "
            f"found a {type(data).__name__}",
            hint=_hint(model),
        )
    parsed = validate(model, data, source=f"{what} {path}", lines=lines)
    return Loaded(parsed, path, hashlib.sha256(path.read_bytes()).hexdigest())


def _lines(node: yaml.Node | None, prefix: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], int]:
    """Line number (1-based) of every key and list item under `node`."""
    found: dict[tuple[Any, ...], int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            loc = (*prefix, key.value)
            found[loc] = key.start_mark.line + 1
            found.update(_lines(value, loc))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            loc = (*prefix, i)
            found[loc] = item.start_mark.line + 1
            found.update(_lines(item, loc))
    return found


def _line_for(loc: Sequence[Any], lines: Mapping[tuple[Any, ...], int]) -> int | None:
    """The line of the deepest part of `loc` the file has (pydantic adds union/type tags)."""
    parts = tuple(p for p in loc if isinstance(p, (str, int)))
    for end in range(len(parts), 0, -1):
        key = parts[:end]
        if key in lines:
            return lines[key]
        # pydantic also numbers list items; YAML keys may be ints written as strings
        alt = tuple(str(p) if isinstance(p, int) else p for p in key)
        if alt in lines:
            return lines[alt]
    return None


def _hint(model: type[BaseModel]) -> str:
    hint = getattr(model, "config_hint", None)
    if hint:
        return hint
    return "allowed settings: " + ", ".join(model.model_fields)


def _config_error(
    model: type[BaseModel],
    exc: ValidationError,
    source: str | None,
    lines: Mapping[tuple[Any, ...], int],
    noun: str = "setting",
    spell: Callable[[str], str] = str,
) -> ConfigError:
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = [p for p in first["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
    where = spell(".".join(str(p) for p in loc)) if loc else "(top level)"
    line = _line_for(loc, lines)
    name = getattr(model, "config_name", "configuration")
    origin = source or name
    at = f" line {line}" if line else ""
    msg = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        msg = f"unknown {noun} {spell(str(loc[-1]))!r}"
        known = _known_fields(model, loc[:-1])
        if known:
            import difflib

            close = difflib.get_close_matches(str(loc[-1]), known, n=1)
            if close:
                msg += f"; did you mean {spell(close[0])!r}?"
    elif first["type"] == "missing":
        msg = "missing value" if noun == "column" else f"required {noun} is missing"
    found = first.get("input")
    shown = "" if first["type"] in ("missing", "extra_forbidden") else f" (found {found!r})"
    more = f"; {len(errors) - 1} more problem(s) after this one" if len(errors) > 1 else ""
    return ConfigError(f"{origin}{at}, {noun} {where}: {msg}{shown}{more}", hint=_hint(model))


def _known_fields(model: type[BaseModel], loc: Sequence[Any]) -> list[str]:
    """Field names of the (nested) model at `loc`, for 'did you mean' suggestions."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        current = _model_of(field.annotation)
        if current is None:
            return []
    return list(getattr(current, "model_fields", {}))


def _model_of(annotation: Any) -> type[BaseModel] | None:
    from typing import get_args

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None
