"""YAML and JSON read so that every value keeps the text it was written as, within fixed bounds.

YAML 1.1 reads an unquoted ``mrn: 0012345`` as the octal number 5349 and ``12:30:45`` as a
number of seconds; a patient's identifier must print exactly as written. So scalars are never
resolved to numbers, dates or booleans here: each stays a string (YAML's BaseLoader rules), and
the record's schema decides what a field's text means. Only a plain ``~``/``null`` or an empty
value reads as "nothing given". Aliases are refused (a record has no use for them and they are how
a small file expands to gigabytes), as are repeated keys, which would silently keep only the last.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputFileError
from .limits import MAX_DEPTH

# The C parser when PyYAML was built with libyaml: same events, much faster on a large file.
_PARSER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
_NULL = re.compile(r"~|null|Null|NULL|")


def load_mapping(data: bytes, path: Path, kind: str) -> dict[str, Any]:
    """Parse data (kind "json" or "yaml") into a mapping of str -> str/None/list/dict."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{path}: cannot be read: byte {exc.start + 1} is not UTF-8 text") from None
    try:
        value = _json(text) if kind == "json" else _yaml(text)
    except _Refused as exc:
        raise InputFileError(f"{path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise InputFileError(f"{path}: not valid JSON: {exc.msg} (line {exc.lineno}, "
                             f"column {exc.colno})") from None
    except yaml.YAMLError as exc:
        raise InputFileError(f"{path}: not valid YAML: {_yaml_reason(exc)}") from None
    if not isinstance(value, dict):
        found = "nothing" if value is None else "a list" if isinstance(value, list) else "a single value"
        raise InputFileError(f"{path}: expected field: value pairs, found {found}")
    return value


def _yaml_reason(exc: yaml.YAMLError) -> str:
    """PyYAML's reason and place, without the snippet of the file it quotes (patient data)."""
    problem = getattr(exc, "problem", None)
    mark = getattr(exc, "problem_mark", None)
    if problem is None:
        return type(exc).__name__
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
    return f"{problem}{where}"


class _Refused(ValueError):
    """Well-formed input that docgen does not accept (aliases, depth, repeated keys)."""


def _yaml(text: str) -> Any:
    """Build the value from parser events with an explicit stack: no recursion, no resolver."""
    stack: list[list] = []  # [container, pending key or _KEY, keys seen]
    root: Any = None
    documents = 0
    for event in yaml.parse(text, Loader=_PARSER):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _Refused(f"line {_line(event)}: uses a YAML anchor or alias (&, *); "
                           "write each value out in full")
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise _Refused(f"line {_line(event)}: holds more than one YAML document (---)")
            continue
        if isinstance(event, yaml.ScalarEvent):
            plain = event.implicit[0] and event.tag is None
            _add(stack, None if plain and _NULL.fullmatch(event.value) else event.value, event)
            if not stack:
                root = None if plain and _NULL.fullmatch(event.value) else event.value
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            if len(stack) >= MAX_DEPTH:
                raise _Refused(f"line {_line(event)}: nested deeper than {MAX_DEPTH} levels")
            container: Any = {} if isinstance(event, yaml.MappingStartEvent) else []
            if stack and isinstance(stack[-1][0], dict) and stack[-1][1] is _KEY:
                raise _Refused(f"line {_line(event)}: a field name must be plain text")
            _add(stack, container, event)
            stack.append([container, _KEY, set()])
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            root = stack.pop()[0]
    return root


_KEY = object()  # a mapping waiting for its next key


def _add(stack: list[list], value: Any, event: Any) -> None:
    if not stack:
        return
    frame = stack[-1]
    container = frame[0]
    if isinstance(container, list):
        container.append(value)
    elif frame[1] is _KEY:
        key = "" if value is None else value
        if key in frame[2]:
            raise _Refused(f"line {_line(event)}: field {key!r} is given twice"
                           if len(key) <= 40 else f"line {_line(event)}: a field is given twice")
        frame[2].add(key)
        frame[1] = key
    else:
        container[frame[1]] = value
        frame[1] = _KEY


def _line(event: Any) -> int:
    mark = getattr(event, "start_mark", None)
    return mark.line + 1 if mark is not None else 0


def _json(text: str) -> Any:
    _check_json_depth(text)
    # Numbers and NaN/Infinity keep their text; the schema decides what each field accepts.
    return json.loads(text, parse_int=str, parse_float=str, parse_constant=str,
                      object_pairs_hook=_no_repeats)


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _Refused(f"field {key!r} is given twice" if len(key) <= 40 else "a field is given twice")
        result[key] = value
    return result


def _check_json_depth(text: str) -> None:
    """Refuse deep nesting before json's recursive parser meets it."""
    depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise _Refused(f"nested deeper than {MAX_DEPTH} levels")
        elif ch in "]}":
            depth -= 1
