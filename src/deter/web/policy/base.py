"""The vocabulary every record kind's policy speaks, in the manner of Wagtail's permission
policies (``wagtail/permission_policies/base.py``):

- ``visible(user)``: the records the user may see, as a lazy queryset;
- ``get(user, pk)``: one visible record, or ``Http404`` for one that is hidden or missing alike;
- ``can(user, action, record)``: may the user do ``action`` to this record;
- ``instances(user, action)``: the records the user may do ``action`` to;
- ``users_with(action, record)``: the users who may do ``action`` to it;
- ``fields(user, record)``: the data categories of the record the user may see.

Each kind names its actions in ``rules``; asking about an action a kind does not have is a
programming error (``UnknownAction``), never a silent "no".
"""

from collections.abc import Callable
from typing import ClassVar, Generic, TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404

from ..domain.data_categories import Category
from .grants import User

M = TypeVar("M", bound=Model)
MAX_PK = 2**63  # beyond a 64-bit key the database would fail rather than find nothing


class UnknownAction(LookupError):
    pass


def valid_pk(pk: object) -> bool:
    """A key the database can look up (URLs carry positive integers only)."""
    return isinstance(pk, int) and not isinstance(pk, bool) and 0 < pk < MAX_PK


class RecordPolicy(Generic[M]):
    model: ClassVar[type[Model]]
    kind: ClassVar[str]  # the record kind as the audit trail names it
    rules: ClassVar[dict[str, str]] = {}  # action -> name of the method that decides it
    listed: ClassVar[dict[str, str]] = {}  # action -> name of the method listing its records

    def visible(self, user: User) -> QuerySet[M]:
        raise NotImplementedError

    def get(self, user: User, pk: object, *, related: tuple[str, ...] = ()) -> M:
        record = (
            self.visible(user).select_related(*related).filter(pk=pk).first()
            if valid_pk(pk) else None
        )
        if record is None:
            raise Http404(f"No {self.kind.replace('_', ' ')} found")
        return record

    def can(self, user: User, action: str, record: M | None = None, **context) -> bool:
        return self._rule(self.rules, action)(user, record, **context)

    def instances(self, user: User, action: str) -> QuerySet[M]:
        if action == "view":
            return self.visible(user)
        return self._rule(self.listed, action)(user)

    def users_with(self, action: str, record: M) -> QuerySet:
        raise UnknownAction(f"{self.kind} does not list the users who may {action}")

    def fields(self, user: User, record: M) -> frozenset[Category]:
        """Every category of a visible record, unless a kind says less."""
        return frozenset(Category)

    def _sees(self, user: User, record: M) -> bool:
        """The ``view`` rule of every kind: the record is among the visible ones."""
        return self.visible(user).filter(pk=record.pk).exists()

    def actions(self) -> tuple[str, ...]:
        return tuple(sorted(self.rules))

    def _rule(self, table: dict[str, str], action: str) -> Callable:
        try:
            return getattr(self, table[action])
        except KeyError:
            raise UnknownAction(f"{self.kind} has no action {action!r}") from None
