"""Reading YAML while remembering the line of every key path, so a problem can name file and line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class LineReader:
    """Turns a YAML node tree into Python values, remembering the line of every key path."""

    def __init__(self, file: str, text: str, problems: list[Problem]) -> None:
        self.file, self.problems = file, problems
        self.lines: dict[tuple[str, ...], int] = {}
        self.loader = yaml.SafeLoader(text)

    def read(self) -> Any:
        try:
            node = self.loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            line = exc.problem_mark.line + 1 if exc.problem_mark else 1
            self.problems.append(Problem(self.file, line, f"YAML syntax: {exc.problem}"))
            return None
        finally:
            self.loader.dispose()
        return None if node is None else self._value(node, ())

    def _value(self, node: yaml.Node, path: tuple[str, ...]) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = str(key_node.value)
                if key in out:
                    line = key_node.start_mark.line + 1
                    self.problems.append(Problem(self.file, line, f"duplicate key {key!r}"))
                self.lines[(*path, key)] = key_node.start_mark.line + 1
                out[key] = self._value(value_node, (*path, key))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self._value(item, (*path, str(i))) for i, item in enumerate(node.value)]
        return self.loader.construct_object(node, deep=True)

    def line(self, *path: str) -> int:
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)
