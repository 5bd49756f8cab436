"""Reading a settings file the bank edits (the vocabulary, the product shelf): TOML, validated."""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from segmenter.errors import InputError

__all__ = ["read_settings"]

Model = TypeVar("Model", bound=BaseModel)


def read_settings(
    path: Path,
    model: type[Model],
    *,
    what: str,
    reshape: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> tuple[Model, str]:
    """The file validated as `model` and its SHA-256; an InputError naming `what`, the file
    and the first problem. `reshape` turns the parsed TOML into the model's fields."""
    try:
        raw = path.read_bytes()
        data = tomllib.loads(raw.decode("utf-8"))
    except OSError as error:
        raise InputError(f"{what} {path}: cannot be read ({error.strerror})") from error
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise InputError(f"{what} {path}: not valid TOML ({error})") from error
    try:
        value = model.model_validate(reshape(data) if reshape else data)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "file"
        raise InputError(f"{what} {path}: {where}: {first['msg']}") from error
    return value, hashlib.sha256(raw).hexdigest()
