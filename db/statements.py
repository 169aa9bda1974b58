"""Count the SQL statements an engine runs: for tests and benchmarks of pages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import event
from sqlalchemy.engine import Engine


@dataclass
class StatementCounter:
    count: int = 0
    statements: list[str] = field(default_factory=list)


@contextmanager
def count_statements(target: type[Engine] | Engine = Engine) -> Iterator[StatementCounter]:
    """Count every statement sent by `target` (default: every engine) inside the block."""
    counter = StatementCounter()

    def before(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, ARG001
        counter.count += 1
        counter.statements.append(statement)

    event.listen(target, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        event.remove(target, "before_cursor_execute", before)
