"""What every importer's run loop shares: rows in fixed-size batches, and one unit of work per batch (committed,
or rolled back in a dry run or on any error), so a batch is written whole or not at all."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")


@contextmanager
def unit(factory: sessionmaker[Session], info: dict[str, Any], commit: bool) -> Iterator[Session]:
    session = factory()
    session.info.update(info)
    try:
        yield session
        if commit:
            session.commit()
        else:
            session.rollback()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def batches(rows: Iterator[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
