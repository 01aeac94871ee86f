"""Load source files: one YAML file per source in the sources directory.

A bad file never stops the others: :func:`load_sources` returns the good
sources and one :class:`SourceFileError` per bad file (file, field, reason).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from aggregator.errors import SourceFileError
from aggregator.schema import SourceDefinition

M = TypeVar("M", bound=BaseModel)

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass
class LoadedSources:
    """Good sources by id, and the errors of the files that were skipped."""

    sources: dict[str, SourceDefinition] = field(default_factory=dict)
    errors: list[SourceFileError] = field(default_factory=list)


def _field_path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc)


def load_source_file(path: Path) -> SourceDefinition:
    """Parse and validate one source file; raise :class:`SourceFileError` naming the field."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise SourceFileError(path, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SourceFileError(path, None, f"invalid YAML{where}: {problem}") from exc
    except OSError as exc:
        raise SourceFileError(path, None, f"cannot read: {exc.strerror}") from exc
    if not isinstance(data, dict):
        raise SourceFileError(path, None, "must be a YAML mapping with id, name, connector, region, mapping")
    try:
        source = SourceDefinition.model_validate({**data, "path": path.resolve()})
    except ValidationError as exc:
        err = exc.errors()[0]
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise SourceFileError(path, _field_path(err["loc"]) or None, msg + more) from exc
    if source.id != path.stem:
        raise SourceFileError(path, "id", f"must match the file name ({path.stem!r}), got {source.id!r}")
    return source


def load_sources(directory: Path) -> LoadedSources:
    """Load every ``*.yaml``/``*.yml`` in ``directory`` (sorted); bad files become errors."""
    out = LoadedSources()
    if not directory.is_dir():
        reason = "sources directory does not exist (--sources / LINGONG_SOURCES)"
        out.errors.append(SourceFileError(directory, None, reason))
        return out
    files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    for path in files:
        try:
            source = load_source_file(path)
        except SourceFileError as exc:
            out.errors.append(exc)
            continue
        if source.id in out.sources:
            first = out.sources[source.id].path
            out.errors.append(SourceFileError(path, "id", f"duplicate source id {source.id!r} (also in {first})"))
            continue
        out.sources[source.id] = source
    return out


def expand_env(value: Any, where: str = "options") -> Any:
    """Replace ``${VAR}`` in strings (recursively); an unset variable is an error naming the field."""
    if isinstance(value, str):

        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in os.environ:
                raise KeyError(f"{where}: environment variable {name} is not set")
            return os.environ[name]

        return _ENV.sub(sub, value)
    if isinstance(value, Mapping):
        return {k: expand_env(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [expand_env(v, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


def validate_options(source: SourceDefinition, model: type[M]) -> M:
    """Validate a source's ``options`` with its connector's model; raise :class:`SourceFileError`."""
    path = source.path or Path(f"{source.id}.yaml")
    try:
        options = expand_env(source.options)
    except KeyError as exc:
        raise SourceFileError(path, None, str(exc.args[0])) from exc
    try:
        return model.model_validate(options)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = "options." + _field_path(err["loc"]) if err["loc"] else "options"
        raise SourceFileError(path, loc, str(err["msg"]).removeprefix("Value error, ")) from exc
