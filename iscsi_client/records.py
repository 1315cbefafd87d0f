"""`@record`: isc's frozen dataclasses, made without compiling a method per class or importing dataclasses.

Python 3.11's dataclass compiles every method it writes for a class from generated source: a frozen class
with order gets ten (`__init__`, `__repr__`, `__eq__`, `__hash__`, `__setattr__`, `__delattr__`, four
comparisons), about 0.6 ms per class here and 10-15 ms in the TCG lab guest, and isc has about eighty such
classes. A record's methods are shared instead: `__eq__`, `__hash__`, `__repr__` and ordering built on one
`operator.attrgetter` of the compared fields (compared and hashed as the tuple of those fields, other classes
NotImplemented, dataclass's repr), one `__init__` that binds arguments by name with defaults and default
factories and raises the TypeError a compiled one raises, and frozen `__setattr__`/`__delattr__`.

A record is still a dataclass for `dataclasses.fields`, `replace`, `asdict`, `is_dataclass` and type checkers:
its `__dataclass_fields__` (dataclasses' own Field objects) and `__dataclass_params__` are made when first
read, so a command that never asks does not import dataclasses at all (with inspect, which it imports: 7 ms
here, 60 ms in the lab guest). `record.field` takes the place of `dataclasses.field` in a record's body. A
class this does not cover (a base class, a `__post_init__`, ClassVar or InitVar fields, keyword-only or
init=False fields, annotations that are not strings) is made by dataclass. Measured on the host: 17 us a class
instead of 620 us for `@dataclass(frozen=True, order=True)`, the same time per instance.
"""

from __future__ import annotations

import operator

TYPE_CHECKING = False  # typing is not imported at run time: a TAB press needs this module, not typing
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar, dataclass_transform, overload

    T = TypeVar("T")


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


_MISSING: Any = _Missing()


class FieldSpec:
    """What `field()` says of one field of a record (the dataclasses.field options records use)."""

    __slots__ = ("default", "default_factory", "repr", "compare", "hash")

    def __init__(self, default: Any = _MISSING, default_factory: Any = _MISSING, repr: bool = True,
                 compare: bool = True, hash: bool | None = None) -> None:
        if default is not _MISSING and default_factory is not _MISSING:
            raise ValueError("cannot specify both default and default_factory")
        self.default, self.default_factory, self.repr, self.compare, self.hash = (default, default_factory, repr,
                                                                                   compare, hash)


def _field(*, default: Any = _MISSING, default_factory: Any = _MISSING, repr: bool = True,
           compare: bool = True, hash: bool | None = None) -> Any:
    return FieldSpec(default, default_factory, repr, compare, hash)


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


def _make(cls: type[T], order: bool, frozen: bool = True) -> type[T]:
    own = cls.__dict__
    if order and any(name in own for name in _ORDER):
        raise TypeError(f"{cls.__name__} defines its own ordering; @record(order=True) would replace it")
    # as dataclass does: a method the class writes itself is kept (Secret's repr hides its value)
    explicit_hash = "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)
    keep = {name for name in ("__eq__", "__repr__") if name in own} | ({"__hash__"} if explicit_hash else set())
    specs = _specs(cls)
    if specs is not None:
        _shared_methods(cls, specs, frozen)
    else:
        specs = _by_dataclass(cls, frozen)
    made: Any = cls
    made.__record_key__ = staticmethod(_key(tuple(n for n, f in specs.items() if f.compare)))
    made.__record_hash_key__ = staticmethod(_key(tuple(n for n, f in specs.items()
                                                       if (f.compare if f.hash is None else f.hash))))
    made.__record_repr__ = tuple(n for n, f in specs.items() if f.repr)
    # a mutable record is unhashable, as dataclass(eq=True) leaves it: its fields can change under a set
    for name, method in (("__eq__", _eq), ("__hash__", _hash if frozen else None), ("__repr__", _repr),
                         *(_ORDER.items() if order else ())):
        if name not in keep:
            setattr(made, name, method)
    return cls


def _is_dataclasses_field(value: object) -> bool:
    kind = type(value)
    return kind.__name__ == "Field" and kind.__module__ == "dataclasses"


def _specs(cls: type) -> dict[str, FieldSpec] | None:
    """The fields from the class body, in order; None when the class needs dataclass itself."""
    own = cls.__dict__
    if cls.__bases__ != (object,) or "__post_init__" in own or "__slots__" in own:
        return None
    specs: dict[str, FieldSpec] = {}
    for name, kind in own.get("__annotations__", {}).items():
        if not isinstance(kind, str) or "ClassVar" in kind or "InitVar" in kind or kind.startswith("KW_ONLY"):
            return None
        value = own.get(name, _MISSING)
        if _is_dataclasses_field(value):  # dataclasses.field() in a record's body: dataclass makes it
            return None
        spec = value if isinstance(value, FieldSpec) else FieldSpec(default=value)
        if spec.default is not _MISSING and spec.default.__class__.__hash__ is None:  # as dataclass refuses a list
            raise ValueError(f"mutable default {type(spec.default)} for field {name} is not allowed: use "
                             "default_factory")
        if spec.default is _MISSING and spec.default_factory is _MISSING and any(
                f.default is not _MISSING or f.default_factory is not _MISSING for f in specs.values()):
            raise TypeError(f"non-default argument {name!r} follows default argument")
        specs[name] = spec
    return specs


def _shared_methods(cls: type, specs: dict[str, FieldSpec], frozen: bool) -> None:
    own = cls.__dict__
    for name, spec in specs.items():  # the class attribute holds the default, as dataclass leaves it
        if name in own and own[name] is spec:
            if spec.default is _MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, spec.default)
    names = tuple(specs)
    made: Any = cls
    made.__dataclass_fields__ = _OnFirstUse("__dataclass_fields__", lambda owner: _dataclass_fields(owner, specs))
    made.__dataclass_params__ = _OnFirstUse("__dataclass_params__", lambda owner: _dataclass_params(frozen))
    type.__setattr__(made, "__match_args__", names)
    defaults = {n: f.default for n, f in specs.items() if f.default is not _MISSING}
    factories = {n: f.default_factory for n, f in specs.items() if f.default_factory is not _MISSING}
    made.__init__ = _init(cls.__qualname__, names, defaults, factories)
    if frozen:
        made.__setattr__ = _frozen_setattr
        made.__delattr__ = _frozen_delattr


class _OnFirstUse:
    """A class attribute made when first read (dataclasses is imported only by code that reads it)."""

    def __init__(self, name: str, make: Callable[[type], object]) -> None:
        self.name, self.make = name, make

    def __get__(self, obj: object, owner: type) -> object:
        value = self.make(owner)
        type.__setattr__(owner, self.name, value)
        return value


def _dataclass_fields(owner: type, specs: dict[str, FieldSpec]) -> dict[str, Any]:
    import dataclasses

    out = {}
    annotations = owner.__dict__.get("__annotations__", {})
    for name, spec in specs.items():
        f = _as_dataclasses_field(spec)
        f.name, f.type, f.kw_only = name, annotations[name], False
        f._field_type = dataclasses._FIELD  # type: ignore[attr-defined]  # what dataclasses.fields() keeps
        out[name] = f
    return out


def _as_dataclasses_field(spec: FieldSpec) -> Any:
    """The dataclasses.field() a record.field() stands for."""
    import dataclasses

    return dataclasses.field(
        default=dataclasses.MISSING if spec.default is _MISSING else spec.default,
        default_factory=dataclasses.MISSING if spec.default_factory is _MISSING else spec.default_factory,
        repr=spec.repr, compare=spec.compare, hash=spec.hash)


def _dataclass_params(frozen: bool) -> object:
    """dataclass's record of how a class was made (frozen or not, eq=False, repr=False), from one it made."""
    import dataclasses

    one: Any = dataclasses.dataclass(frozen=frozen, eq=False, repr=False)(type("_One", (), {}))
    return one.__dataclass_params__


def _by_dataclass(cls: type, frozen: bool) -> dict[str, FieldSpec]:
    """dataclass makes the class (what records do not cover); record.field() becomes dataclasses.field()."""
    import dataclasses

    own = cls.__dict__
    for name in own.get("__annotations__", {}):
        spec = own.get(name)
        if isinstance(spec, FieldSpec):
            setattr(cls, name, _as_dataclasses_field(spec))
    made: Any = dataclasses.dataclass(frozen=frozen, eq=False, repr=False)(cls)
    return {f.name: FieldSpec(repr=f.repr, compare=f.compare, hash=f.hash) for f in dataclasses.fields(made)}


def _init(qualname: str, names: tuple[str, ...], defaults: dict[str, Any],
          factories: dict[str, Callable[[], Any]]) -> Callable[..., None]:
    count = len(names)
    required = count - len(defaults) - len(factories)
    put = object.__setattr__
    position = {name: i for i, name in enumerate(names)}
    takes = f"{count + 1}" if required == count else f"from {required + 1} to {count + 1}"

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        given = len(args)
        if given == count and not kwargs:  # the common call: every field in order
            for name, value in zip(names, args, strict=True):
                put(self, name, value)
            return
        # the checks in the order Python's own argument binding makes them, with its messages
        for name in kwargs:
            if name not in position:
                raise TypeError(f"{qualname}.__init__() got an unexpected keyword argument {name!r}")
            if position[name] < given:
                raise TypeError(f"{qualname}.__init__() got multiple values for argument {name!r}")
        if given > count:
            raise TypeError(f"{qualname}.__init__() takes {takes} positional arguments but {given + 1} were given")
        missing = [name for name in names[given:required] if name not in kwargs]
        if missing:
            listed = (repr(missing[0]) if len(missing) == 1 else f"{missing[0]!r} and {missing[1]!r}"
                      if len(missing) == 2 else ", ".join(map(repr, missing[:-1])) + f", and {missing[-1]!r}")
            raise TypeError(f"{qualname}.__init__() missing {len(missing)} required positional argument"
                            f"{'s' if len(missing) > 1 else ''}: {listed}")
        for name, value in zip(names, args, strict=False):
            put(self, name, value)
        for name in names[given:]:
            if name in kwargs:
                put(self, name, kwargs[name])
            elif name in defaults:
                put(self, name, defaults[name])
            else:
                put(self, name, factories[name]())

    __init__.__qualname__ = f"{qualname}.__init__"
    return __init__


def _frozen_setattr(self: Any, name: str, value: object) -> None:
    import dataclasses

    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    import dataclasses

    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")


class _Cached:
    """functools.cached_property without functools (with collections and types, which a login does not need
    before its first exec): the value is made on first read and kept in the instance's __dict__, which a
    record's frozen __setattr__ does not guard."""

    def __init__(self, make: Callable[[Any], Any]) -> None:
        self.make, self.name = make, make.__name__
        self.__doc__ = make.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.make(obj)
        return value


def replace(obj: T, /, **changes: Any) -> T:
    """dataclasses.replace for a record, without importing dataclasses: a new record with these fields
    changed."""
    names = type(obj).__match_args__  # type: ignore[attr-defined]
    unknown = set(changes) - set(names)
    if unknown:
        raise TypeError(f"{type(obj).__qualname__}.__init__() got an unexpected keyword argument "
                        f"{sorted(unknown)[0]!r}")
    return type(obj)(**{name: changes[name] if name in changes else getattr(obj, name) for name in names})


def _record(cls: type[T] | None = None, /, *, order: bool = False,
            frozen: bool = True) -> type[T] | Callable[[type[T]], type[T]]:
    """A frozen dataclass (`@record`, or `@record(order=True)` for one that sorts by its fields in order);
    `@record(frozen=False)` for a mutable one (a report filled in as a run goes), unhashable as dataclass's."""
    if cls is None:
        return lambda c: _make(c, order, frozen)
    return _make(cls, order, frozen)


if TYPE_CHECKING:  # what type checkers see: dataclasses.field's signature, a dataclass decorator frozen by default
    @overload
    def field(*, default: T, repr: bool = ..., compare: bool = ..., hash: bool | None = ...) -> T: ...

    @overload
    def field(*, default_factory: Callable[[], T], repr: bool = ..., compare: bool = ...,
              hash: bool | None = ...) -> T: ...

    @overload
    def field(*, repr: bool = ..., compare: bool = ..., hash: bool | None = ...) -> Any: ...

    def field(*, default: Any = ..., default_factory: Any = ..., repr: bool = ..., compare: bool = ...,
              hash: bool | None = ...) -> Any:
        ...

    @overload
    def record(cls: type[T], /) -> type[T]: ...

    @overload
    def record(*, order: bool = False, frozen: bool = True) -> Callable[[type[T]], type[T]]: ...

    @dataclass_transform(frozen_default=True, field_specifiers=(field,))
    def record(cls: type[T] | None = None, /, *, order: bool = False,
               frozen: bool = True) -> type[T] | Callable[[type[T]], type[T]]:
        ...

    from functools import cached_property as cached  # what type checkers see: the same semantics
else:
    record = _record
    field = _field
    cached = _Cached
