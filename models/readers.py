"""Reading files that come from someone else: regular files only, bounded, every failure a DataError.

Every file intake reads goes through this module, so the same rules hold for
tables, scenarios and resource catalogs:

* :func:`read_bytes` reads a *regular* file of at most a given size. A folder,
  FIFO, device or socket is refused before any byte is read (the file is
  opened non-blocking and checked with ``fstat``, so a FIFO never blocks), and
  every ``OSError`` (missing, permission denied, name too long) becomes a
  :class:`~models.errors.DataError` naming the file. The size limits are in
  :mod:`models.limits`.
* :func:`decode_text` reads UTF-8 (with or without BOM), else Windows-1252
  (what Nordic Excel and older Notepad save). UTF-16 and binary files (any NUL
  byte), and bytes that neither encoding maps, are refused with the offending
  byte and line, never with the file's content.
* :func:`parse_yaml` / :func:`load_yaml` read YAML with PyYAML's safe loader,
  bounded (where PyYAML was built with libyaml, its C scanner and parser produce
  the events, several times faster; composing the nodes, with the checks below,
  and building the values stay PyYAML's Python code). Anchors and aliases are
  allowed (the built-in catalog shares factor blocks that way), but a document is measured on its node graph *before*
  anything is built: it may nest at most :data:`~models.limits.MAX_NESTING`
  levels and hold at most :data:`~models.limits.MAX_YAML_NODES` nodes *with its
  aliases expanded*, so a "billion laughs" file is refused in milliseconds, and
  an alias inside the node it names (a recursive document) is refused. A
  mapping that gives a key twice is refused (PyYAML would keep the last one
  silently). A value that cannot be built (a date 2024-13-45, an integer of
  5,000 digits) is an error at its line.
* :func:`parse_json` checks the nesting depth before parsing, refuses keys
  given twice in one object (``json`` would keep the last one), refuses
  ``NaN`` and ``Infinity`` (not JSON), and reads integers too long for Python's
  ``int`` as floats (which the number checks then refuse as too large).

Messages quote at most a short, escaped excerpt of what the file holds.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np
import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from . import limits
from .errors import DataError, Issue

__all__ = ["decode_text", "load_yaml", "parse_json", "parse_yaml", "read_bytes", "read_text", "shown"]

_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_BINARY = getattr(os, "O_BINARY", 0)


def _fail(file: str, message: str, row: int | None = None, column: str = "") -> NoReturn:
    raise DataError([Issue(file, row, column, message)])


def shown(value: Any, width: int = 60) -> str:
    """A value quoted for a message: ``repr``, control characters escaped, at most ``width`` characters."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


# ---------------------------------------------------------------------- bytes and text
def read_bytes(path: str | Path, limit: int, file: str | None = None, kind: str = "files") -> bytes:
    """The content of a regular file of at most ``limit`` bytes.

    Parameters
    ----------
    path : str or Path
    limit : int
        Most bytes accepted (see :mod:`models.limits`).
    file : str, optional
        Label of the file in messages (default: its name).
    kind : str
        What the limit is for, in messages ("tables", "YAML files").

    Raises
    ------
    DataError
        If the path is missing, a folder, not a regular file, unreadable or too large.
    """
    path = Path(path)
    label = path.name if file is None else file
    try:
        before = os.stat(path)
        _check_kind(before.st_mode, label)
        _check_size(before.st_size, limit, label, kind)
        fd = os.open(path, os.O_RDONLY | _NONBLOCK | _BINARY)
        with os.fdopen(fd, "rb") as fh:
            _check_kind(os.fstat(fh.fileno()).st_mode, label)  # the path may have changed since stat
            data = fh.read(limit + 1)
    except DataError:
        raise
    except OSError as exc:
        _fail(label, _os_reason(exc))
    except ValueError:  # a NUL character in the name
        _fail(label, "not a valid file name")
    if len(data) > limit:  # the file grew after stat
        _check_size(len(data), limit, label, kind)
    return data


def _check_kind(mode: int, file: str) -> None:
    if stat.S_ISDIR(mode):
        _fail(file, "is a folder; expected a file")
    if not stat.S_ISREG(mode):
        _fail(file, "is not a regular file (a pipe, device or socket); only regular files are read")


def _check_size(size: int, limit: int, file: str, kind: str) -> None:
    if size > limit:
        _fail(file, f"file is {size:,} bytes; the limit for {kind} is {limits.describe_bytes(limit)}")


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "file not found"
    if isinstance(exc, NotADirectoryError):
        return "file not found (a part of its path is not a folder)"
    if isinstance(exc, IsADirectoryError):
        return "is a folder; expected a file"
    if isinstance(exc, PermissionError):
        return "cannot read file: permission denied"
    return f"cannot read file: {(exc.strerror or type(exc).__name__).lower()}"


def decode_text(data: bytes, file: str) -> str:
    """Text of a file: UTF-8 (BOM or not), else Windows-1252; anything else is a DataError.

    Examples
    --------
    >>> decode_text("Ærø".encode("cp1252"), "f.csv")
    'Ærø'
    >>> decode_text(b"a;b\\n\\x81", "f.csv")
    Traceback (most recent call last):
    ...
    models.errors.DataError: 1 problem(s) in the input:
    f.csv:2:: not UTF-8 or Windows-1252 text (byte 0x81 at line 2); save it as UTF-8
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        _fail(file, "file is UTF-16 (or UTF-32) text; save it as UTF-8", 1)
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        _fail(file, f"file is binary or UTF-16, not text (byte 0x00 at line {line}); save it as UTF-8", line)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")  # Nordic Excel without the UTF-8 option
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        _fail(
            file,
            f"not UTF-8 or Windows-1252 text (byte 0x{data[exc.start]:02X} at line {line}); save it as UTF-8",
            line,
        )


def read_text(path: str | Path, limit: int, file: str | None = None, kind: str = "files") -> str:
    """:func:`read_bytes` then :func:`decode_text`."""
    label = Path(path).name if file is None else file
    return decode_text(read_bytes(path, limit, label, kind), label)


# ---------------------------------------------------------------------- YAML
class _Refused(yaml.MarkedYAMLError):
    """Valid YAML that intake refuses (limits, keys given twice, values that cannot be built)."""


if TYPE_CHECKING:  # the checks run in a safe loader (every method of one is there)
    _Composer = yaml.SafeLoader
else:
    _Composer = Composer


class _Checks(_Composer):
    """PyYAML's composer with a nesting bound while composing, checks before constructing (a safe loader)."""

    _depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        # composing recurses once per level: bound it before Python's own recursion limit does
        self._depth += 1
        try:
            if self._depth > limits.MAX_NESTING:
                raise _Refused(problem=_too_deep(), problem_mark=self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        _measure(node)
        return self.construct_document(node)

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except Exception as exc:  # PyYAML's constructors fail in many ways on odd scalars (!!int "")
            reason = re.split("[:;]", str(exc))[0][:80] or type(exc).__name__
            reason = reason[0].lower() + reason[1:]
            raise _Refused(problem=f"cannot read this value: {reason}", problem_mark=node.start_mark) from None

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, MappingNode):
            seen: set[Any] = set()
            for key_node, _ in node.value:
                if not isinstance(key_node, ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node)
                if key in seen:
                    raise _Refused(
                        problem=f"key {shown(key, 40)} is given twice in one mapping",
                        problem_mark=key_node.start_mark,
                    )
                seen.add(key)
        return super().construct_mapping(node, deep)


class _PyLoader(_Checks, Reader, Scanner, Parser, SafeConstructor, Resolver):
    """The checks over PyYAML's pure-Python reader, scanner and parser."""

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)


if getattr(yaml, "__with_libyaml__", False):
    from yaml._yaml import CParser

    class _CLoader(_Checks, CParser, SafeConstructor, Resolver):  # type: ignore[misc]
        """The checks over libyaml's scanner and parser: events come from C, nodes are composed (and bounded) here."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

    _Loader: type = _CLoader
else:  # pragma: no cover - PyYAML without libyaml
    _Loader = _PyLoader


def _too_deep() -> str:
    return f"nested more than {limits.MAX_NESTING} levels deep"


def _measure(root: Node) -> None:
    """Refuse a node graph that nests too deep or expands to too many nodes (aliases counted each time).

    Shared nodes are measured once (memoised), so this is linear in the size of the file
    however many times its aliases multiply.
    """
    heights: dict[int, int] = {}
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def children(node: Node) -> list[Node]:
        if isinstance(node, SequenceNode):
            return list(node.value)
        if isinstance(node, MappingNode):
            return [n for pair in node.value for n in pair]
        return []

    def visit(node: Node, above: int) -> None:
        key = id(node)
        if key in heights:
            if above + heights[key] > limits.MAX_NESTING:
                raise _Refused(problem=f"{_too_deep()} (counting aliases)", problem_mark=node.start_mark)
            return
        if key in active:
            raise _Refused(problem="an alias refers to the node that contains it", problem_mark=node.start_mark)
        if isinstance(node, ScalarNode):
            heights[key], sizes[key] = 0, 1
            return
        if above + 1 > limits.MAX_NESTING:
            raise _Refused(problem=f"{_too_deep()} (counting aliases)", problem_mark=node.start_mark)
        active.add(key)
        height, size = 0, 1
        for child in children(node):
            visit(child, above + 1)
            height = max(height, heights[id(child)])
            size += sizes[id(child)]
        active.discard(key)
        heights[key], sizes[key] = height + 1, size

    visit(root, 0)
    if sizes[id(root)] > limits.MAX_YAML_NODES:
        raise _Refused(
            problem=f"its aliases expand it to more than {limits.MAX_YAML_NODES:,} values "
            f"({sizes[id(root)]:,}); write the values out or use fewer aliases",
            problem_mark=root.start_mark,
        )


def parse_yaml(text: str, file: str) -> Any:
    """A YAML document from text, within the limits described in the module docstring.

    Raises
    ------
    DataError
        Naming the file and line of the problem, quoting none of its content.
    """
    try:
        return yaml.load(text, Loader=_Loader)  # a safe loader: SafeConstructor, plain tags only
    except _Refused as exc:
        _fail(file, str(exc.problem), _line(exc))
    except yaml.MarkedYAMLError as exc:
        problem = exc.problem or exc.context or "cannot be parsed"
        if "maximum nesting depth" in str(problem):  # libyaml's own bound (1,000 levels), met before ours
            _fail(file, _too_deep(), _line(exc))
        _fail(file, f"not valid YAML: {str(problem)[:100]}", _line(exc))
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        _fail(file, f"not valid YAML: the character 0x{char:02X} is not allowed", line)
    except yaml.YAMLError as exc:
        _fail(file, f"not valid YAML: {type(exc).__name__}")
    except RecursionError:
        _fail(file, _too_deep())
    except (ValueError, TypeError, LookupError, AttributeError) as exc:  # a parser bug on odd input
        _fail(file, f"not valid YAML: cannot be parsed ({type(exc).__name__})")


def _line(exc: yaml.MarkedYAMLError) -> int | None:
    mark = exc.problem_mark or exc.context_mark
    return None if mark is None else mark.line + 1


def load_yaml(path: str | Path, file: str | None = None) -> Any:
    """Read and parse a YAML file of at most :data:`~models.limits.MAX_YAML_BYTES`."""
    label = Path(path).name if file is None else file
    return parse_yaml(read_text(path, limits.MAX_YAML_BYTES, label, "YAML files"), label)


# ---------------------------------------------------------------------- JSON
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_CHUNK = 1 << 20


def _json_depth(text: str) -> int:
    """Deepest nesting of ``[`` and ``{`` outside strings, counted without parsing."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text)).encode("ascii")
    level = deepest = 0
    for start in range(0, len(brackets), _CHUNK):
        part = np.frombuffer(brackets[start : start + _CHUNK], dtype=np.uint8)
        steps = np.where((part == ord("[")) | (part == ord("{")), 1, -1).astype(np.int64)
        running = np.cumsum(steps) + level
        deepest = max(deepest, int(running.max()))
        level = int(running[-1])
    return deepest


class _Twice(dict[str, Any]):
    """A JSON object in which a key was given twice (the keys are in ``twice``)."""

    twice: list[str]


class _NotJson(Exception):
    pass


def _pairs_hook(flags: list[bool]) -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    """An ``object_pairs_hook`` that marks objects with a key given twice (and sets ``flags[0]``)."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(items)
        if len(obj) == len(items):
            return obj
        keys = [k for k, _ in items]
        flagged = _Twice(obj)
        flagged.twice = sorted({k for k in keys if keys.count(k) > 1})
        flags[0] = True
        return flagged

    return pairs


def _constant(name: str) -> Any:
    raise _NotJson(f"{name} is not a JSON number")


def _integer(text: str) -> int | float:
    # Python refuses int() of more than 4,300 digits; a float is refused later as too large
    return int(text) if len(text) <= 18 else float(text)


Locate = Callable[[tuple[str | int, ...], str], Issue]


def parse_json(text: str, file: str, locate: Locate | None = None) -> Any:
    """A JSON document from text, within the limits described in the module docstring.

    Parameters
    ----------
    text : str
    file : str
        Label of the file in messages.
    locate : callable, optional
        ``locate(path, key)`` gives the issue for ``key`` given twice in the object at
        ``path`` (a tuple of keys and list positions); by default the path is written out.

    Raises
    ------
    DataError
    """
    depth = _json_depth(text)
    if depth > limits.MAX_NESTING:
        _fail(file, _too_deep())
    flags = [False]
    try:
        doc = json.loads(text, object_pairs_hook=_pairs_hook(flags), parse_constant=_constant, parse_int=_integer)
    except json.JSONDecodeError as exc:
        _fail(file, f"not valid JSON: {exc.msg}", exc.lineno)
    except _NotJson as exc:
        _fail(file, f"not valid JSON: {exc}")
    except RecursionError:
        _fail(file, _too_deep())
    if flags[0]:
        where = locate or _default_locate(file)
        raise DataError([where(path, key) for path, key in _find_twice(doc)])
    return doc


def _default_locate(file: str) -> Locate:
    def locate(path: tuple[str | int, ...], key: str) -> Issue:
        return Issue(file, None, _dotted((*path, key)), "key is given twice in one object")

    return locate


def _dotted(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _find_twice(doc: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """Every (path, key) of a key given twice, walking the document without recursion."""
    found = []
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), doc)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node, _Twice):
                found += [(path, k) for k in node.twice]
            stack += [((*path, k), v) for k, v in node.items() if isinstance(v, dict | list)]
        elif isinstance(node, list):
            stack += [((*path, i), v) for i, v in enumerate(node) if isinstance(v, dict | list)]
    return sorted(found, key=lambda pk: (str(pk[0]), pk[1]))
