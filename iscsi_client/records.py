"""`@record`: isc's frozen dataclasses, made in about 60% of the start-up time.

Python 3.11's dataclass compiles every method it writes for a class from generated source: a frozen class
with order gets ten (`__init__`, `__repr__`, `__eq__`, `__hash__`, `__setattr__`, `__delattr__`, four
comparisons), about 0.5-0.75 ms per class here and 10-15 ms in the TCG lab guest. isc has about eighty such
classes and every command imports dozens of them. `@record` lets dataclass write only what must be per class
(`__init__` and the frozen `__setattr__`/`__delattr__`) and gives the class shared `__eq__`, `__hash__`,
`__repr__` and ordering built on one `operator.attrgetter` of the compared fields: the same results as
dataclass's own (compared and hashed as the tuple of those fields, other classes NotImplemented, the same
repr), and still a dataclass for `dataclasses.replace`, `fields`, `asdict` and type checkers.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable

TYPE_CHECKING = False  # typing is not imported at run time: a TAB press needs this module, not typing
if TYPE_CHECKING:
    from typing import Any, TypeVar, dataclass_transform, overload

    T = TypeVar("T")


def _key(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    if len(names) == 1:  # attrgetter of one name gives the value, not a 1-tuple
        one = operator.attrgetter(names[0])
        return lambda obj: (one(obj),)
    if not names:
        return lambda obj: ()
    return operator.attrgetter(*names)


def _eq(self: Any, other: object) -> bool:
    if other.__class__ is self.__class__:
        return self.__record_key__(self) == other.__record_key__(other)  # type: ignore[attr-defined]
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(self.__record_hash_key__(self))


def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__record_repr__)
    return f"{self.__class__.__qualname__}({shown})"


def _order(op: Callable[[Any, Any], bool]) -> Callable[[Any, object], bool]:
    def compare(self: Any, other: object) -> bool:
        if other.__class__ is self.__class__:
            return op(self.__record_key__(self), other.__record_key__(other))  # type: ignore[attr-defined]
        return NotImplemented

    compare.__name__ = f"__{op.__name__}__"
    return compare


_ORDER = {f"__{op.__name__}__": _order(op) for op in (operator.lt, operator.le, operator.gt, operator.ge)}


def _make(cls: type[T], order: bool) -> type[T]:
    own = cls.__dict__
    if order and any(name in own for name in _ORDER):
        raise TypeError(f"{cls.__name__} defines its own ordering; @record(order=True) would replace it")
    # as dataclass does: a method the class writes itself is kept (Secret's repr hides its value)
    explicit_hash = "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)
    keep = {name for name in ("__eq__", "__repr__") if name in own} | ({"__hash__"} if explicit_hash else set())
    made = dataclasses.dataclass(frozen=True, eq=False, repr=False)(cls)
    fields = dataclasses.fields(made)  # type: ignore[arg-type]
    compared = tuple(f.name for f in fields if f.compare)
    hashed = tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash))
    made.__record_key__ = staticmethod(_key(compared))  # type: ignore[attr-defined]
    made.__record_hash_key__ = staticmethod(_key(hashed))  # type: ignore[attr-defined]
    made.__record_repr__ = tuple(f.name for f in fields if f.repr)  # type: ignore[attr-defined]
    for name, method in (("__eq__", _eq), ("__hash__", _hash), ("__repr__", _repr),
                         *(_ORDER.items() if order else ())):
        if name not in keep:
            setattr(made, name, method)
    return made


def _record(cls: type[T] | None = None, /, *, order: bool = False) -> type[T] | Callable[[type[T]], type[T]]:
    """A frozen dataclass (`@record`, or `@record(order=True)` for one that sorts by its fields in order)."""
    if cls is None:
        return lambda c: _make(c, order)
    return _make(cls, order)


if TYPE_CHECKING:  # what type checkers see: a dataclass decorator, frozen by default
    @overload
    def record(cls: type[T], /) -> type[T]: ...

    @overload
    def record(*, order: bool = False) -> Callable[[type[T]], type[T]]: ...

    @dataclass_transform(frozen_default=True)
    def record(cls: type[T] | None = None, /, *, order: bool = False) -> type[T] | Callable[[type[T]], type[T]]:
        ...
else:
    record = _record
