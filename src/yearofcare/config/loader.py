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
    _refuse_duplicate_keys(node, f"{what} {path}")
    return data, _lines(node)


def _refuse_duplicate_keys(node: yaml.Node | None, origin: str) -> None:
    """YAML keeps the last of two equal keys silently; a settings file must not."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key, value in node.value:
            line = key.start_mark.line + 1
            if key.value in seen:
                raise ConfigError(
                    f"{origin} line {line}: setting {key.value!r} appears twice "
                    f"(first at line {seen[key.value]})",
                    hint="keep one of them: YAML would silently use the last",
                )
            seen[key.value] = line
            _refuse_duplicate_keys(value, origin)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _refuse_duplicate_keys(item, origin)


def config_error_at(
    source: str,
    loc: Sequence[Any],
    lines: Mapping[tuple[Any, ...], int],
    message: str,
    hint: str | None = None,
) -> ConfigError:
    """A ConfigError for a check made after validation, placed at `loc`'s line in the file.

    Same form as validation errors: "<source> line N, setting a.b.c: <message>".
    """
    where = ".".join(str(p) for p in loc) or "(top level)"
    line = _line_for(loc, lines)
    at = f" line {line}" if line else ""
    return ConfigError(f"{source}{at}, setting {where}: {message}", hint=hint)


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


def _in_file(key: tuple[Any, ...], lines: Mapping[tuple[Any, ...], int]) -> bool:
    alt = tuple(str(p) if isinstance(p, int) else p for p in key)
    return key in lines or alt in lines


def _file_loc(loc: Sequence[Any], lines: Mapping[tuple[Any, ...], int]) -> list[Any]:
    """`loc` as the file spells it: pydantic's union tags between two keys of the file (a
    mechanism's `type`, say) are dropped, so the setting and its line are the ones the user
    wrote. Without line information `loc` is returned as it is."""
    if not lines:
        return list(loc)
    path: list[Any] = []
    parts = list(loc)
    for i, part in enumerate(parts):
        last = i + 1 == len(parts)
        # keep a part the file has; drop one it lacks when the next part follows without it
        if last or _in_file((*path, part), lines) or not _in_file((*path, parts[i + 1]), lines):
            path.append(part)
    return path


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
    raw = [p for p in first["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
    loc = _file_loc(raw, lines)
    where = spell(".".join(str(p) for p in loc)) if loc else "(top level)"
    line = _line_for(loc, lines)
    name = getattr(model, "config_name", "configuration")
    origin = source or name
    at = f" line {line}" if line else ""
    msg = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        msg = f"unknown {noun} {spell(str(loc[-1]))!r}"
        known = _known_fields(model, raw[:-1])
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
        current = _below(current, part)
        if current is None:
            return []
    found = _model_of(current)
    return list(found.model_fields) if found is not None else []


def _below(annotation: Any, part: Any) -> Any:
    """The annotation found at `part` below `annotation` (a field, an item, a union member
    picked by its tag), or None."""
    from typing import Annotated, Literal, get_args, get_origin

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(part) if isinstance(part, str) else None
        return None if field is None else field.annotation
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _below(args[0], part)
    if origin in (list, tuple, set, frozenset):
        return args[0] if isinstance(part, int) and args else None
    if origin is dict:
        return args[1] if args else None
    for member in args:  # a union: a member tagged `part`, else the first that has `part`
        if isinstance(member, type) and issubclass(member, BaseModel):
            tag = member.model_fields.get("type")
            tagged = tag is not None and get_origin(tag.annotation) is Literal
            if tagged and part in get_args(tag.annotation):
                return member
    for member in args:
        found = _below(member, part)
        if found is not None:
            return found
    return None


def _model_of(annotation: Any) -> type[BaseModel] | None:
    from typing import get_args

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None
