"""Finding a kind's columns in a file's header row, by name and its usual spellings."""

from __future__ import annotations

from dataclasses import dataclass

from conference.importing.report import Issue
from conference.importing.values import header_key

__all__ = ["Column", "Located", "locate"]


@dataclass(frozen=True)
class Column:
    key: str
    title: str  # the Danish header we ask for; also how messages name the column
    aliases: tuple[str, ...] = ()
    required: bool = False
    help: str = ""

    def matches(self, key: str) -> bool:
        return key == header_key(self.title) or key in {header_key(a) for a in self.aliases}


@dataclass
class Located:
    index: dict[str, int]  # column key -> position in the row
    titles: dict[str, str]  # column key -> the header as written in the file
    issues: list[Issue]
    unused: list[tuple[int, str]]  # (position, header) of columns no Column claimed

    def has(self, key: str) -> bool:
        return key in self.index

    def title(self, key: str, columns: tuple[Column, ...]) -> str:
        if key in self.titles:
            return self.titles[key]
        return next(c.title for c in columns if c.key == key)


def locate(headers: list[str], columns: tuple[Column, ...]) -> Located:
    """Where each column is; a required column missing or a column given twice is an issue."""
    found = Located({}, {}, [], [])
    for position, header in enumerate(headers):
        key = header_key(header)
        column = next((c for c in columns if key and c.matches(key)), None)
        if column is None:
            found.unused.append((position, header))
            continue
        if column.key in found.index:
            found.issues.append(
                Issue(1, header, f"kolonnen »{column.title}« står to gange i overskriftsrækken")
            )
            continue
        found.index[column.key] = position
        found.titles[column.key] = header
    for column in columns:
        if column.required and column.key not in found.index:
            found.issues.append(Issue(1, column.title, "kolonnen mangler i overskriftsrækken"))
    return found
