"""A queryset the paginator slices first and turns into output schemas after, so a page of
rows built in Python costs the same queries however many rows the list has."""

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db.models import Model, QuerySet

RowT = TypeVar("RowT", bound=Model)


class Mapped(Generic[RowT]):
    def __init__(self, rows: QuerySet[RowT], out: Callable[[RowT], Any]) -> None:
        self.rows, self.out = rows, out

    def __len__(self) -> int:
        return self.rows.count()

    def __getitem__(self, page: slice) -> list[Any]:
        return [self.out(row) for row in self.rows[page]]
