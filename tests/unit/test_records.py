"""`@record` behaves as `@dataclass(frozen=True)` (and order=True) does: equality, hashing, repr, ordering,
immutability, replace/asdict; only its start-up cost differs."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iscsi_client import records
from iscsi_client.model import Iqn, Portal, Secret
from iscsi_client.ops.outcome import Outcome
from iscsi_client.records import record


@record(order=True)
class R:
    name: str
    port: int = 3260
    tags: tuple[str, ...] = ()
    note: str = records.field(default="", compare=False)


@dataclass(frozen=True, order=True)
class D:
    name: str
    port: int = 3260
    tags: tuple[str, ...] = ()
    note: str = field(default="", compare=False)


values = st.tuples(st.text(max_size=4), st.integers(0, 3), st.lists(st.sampled_from("ab"), max_size=2).map(tuple),
                   st.sampled_from(["", "x"]))


@given(values, values)
def test_same_answers_as_a_frozen_ordered_dataclass(a, b):
    ra, rb, da, db = R(*a), R(*b), D(*a), D(*b)
    assert (ra == rb) == (da == db)
    assert (ra != rb) == (da != db)
    assert [ra < rb, ra <= rb, ra > rb, ra >= rb] == [da < db, da <= db, da > db, da >= db]
    assert hash(ra) == hash(da) and (hash(ra) == hash(rb)) == (hash(da) == hash(db))
    assert repr(ra) == repr(da).replace("D(", "R(", 1)
    assert dataclasses.asdict(ra) == dataclasses.asdict(da)
    assert dataclasses.replace(ra, port=9) == R(a[0], 9, a[2], a[3])


def test_other_classes_are_not_equal_or_ordered():
    assert R("a") != D("a") and R("a") != ("a", 3260, ())
    with pytest.raises(TypeError):
        _ = R("a") < D("b")  # type: ignore[operator]


def test_frozen_and_still_a_dataclass():
    r = R("a")
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.name = "b"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del r.port  # type: ignore[misc]
    assert dataclasses.is_dataclass(r) and [f.name for f in dataclasses.fields(r)] == ["name", "port", "tags", "note"]
    assert R("a", note="x") == R("a") and hash(R("a", note="x")) == hash(R("a"))  # compare=False left out


def test_model_records_keep_their_meaning():
    assert repr(Secret("s3cr3t-value!")) == "Secret('********')"  # the class's own repr is kept
    assert sorted([Portal.parse("10.0.0.2"), Portal.parse("10.0.0.1")])[0] == Portal.parse("10.0.0.1")
    iqn = Iqn.parse("iqn.2003-01.org.example:t1")
    assert {iqn: 1}[Iqn.parse("iqn.2003-01.org.example:t1")] == 1
    failed = Outcome("t", "p", "failed", error=None)
    assert failed == Outcome("t", "p", "failed") and len({failed, Outcome("t", "p", "failed")}) == 1


def test_a_class_with_its_own_ordering_is_refused():
    with pytest.raises(TypeError, match="ordering"):
        @record(order=True)
        class Own:
            a: int

            def __lt__(self, other: object) -> bool:
                return True


@record
class RF:
    name: str
    items: list[str] = records.field(default_factory=list)
    secret: str = records.field(default="", repr=False)
    port: int = 3260


@dataclass(frozen=True)
class DF:
    name: str
    items: list[str] = field(default_factory=list)
    secret: str = field(default="", repr=False)
    port: int = 3260


def build(cls: type, args: tuple, kwargs: dict) -> tuple[str, object]:
    try:
        made = cls(*args, **kwargs)
    except TypeError as e:
        return "TypeError", str(e).replace(cls.__name__, "C")
    return "made", (repr(made).replace(cls.__name__, "C", 1), dataclasses.asdict(made))


call_args = st.lists(st.sampled_from(["n", ["x"], "s", 1, 2]), max_size=6).map(tuple)
call_kwargs = st.dictionaries(st.sampled_from(["name", "items", "secret", "port", "other"]),
                              st.sampled_from(["k", ["y"], 7]), max_size=4)


@given(call_args, call_kwargs)
def test_init_binds_and_refuses_as_a_compiled_dataclass_init(args, kwargs):
    """Positional, keyword, defaults, default factories, and the TypeError for a missing, extra, unknown or
    doubled argument: the same result and the same message as dataclass's own __init__."""
    assert build(RF, args, kwargs) == build(DF, args, kwargs)


def test_fields_class_attributes_and_factories_are_dataclass_s():
    ours, theirs = dataclasses.fields(RF), dataclasses.fields(DF)
    keys = ("name", "type", "default", "default_factory", "init", "repr", "hash", "compare", "kw_only")
    assert [[getattr(f, k) for k in keys] for f in ours] == [[getattr(f, k) for k in keys] for f in theirs]
    assert RF.__match_args__ == DF.__match_args__ == ("name", "items", "secret", "port")  # type: ignore[attr-defined]
    assert RF.port == 3260 and RF.secret == "" and not hasattr(RF, "items") and not hasattr(RF, "name")
    a, b = RF("a"), RF("b")
    assert a.items == [] and a.items is not b.items  # a new list each time, as default_factory promises
    assert dataclasses.replace(a, port=1) == RF("a", [], "", 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.other = 1  # type: ignore[attr-defined]


def test_definitions_dataclass_refuses_are_refused():
    with pytest.raises(ValueError, match="mutable default <class 'list'> for field items"):
        @record
        class Mutable:
            items: list[str] = []

    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):
        @record
        class Order:
            a: int = 1
            b: int


def test_records_are_made_without_dataclass_and_without_importing_it():
    """A record class is made by @record itself (dataclass would compile its methods), and dataclasses (with
    inspect, 60 ms of start-up in the lab guest) is imported only when a caller asks for fields or asdict."""
    assert not hasattr(vars(RF)["__init__"], "__wrapped__") and vars(RF)["__init__"].__code__.co_varnames[:2] == (
        "self", "args")  # the shared __init__, not one compiled for the class
    code = ("import sys; import iscsi_client.model, iscsi_client.kernel_model, iscsi_client.cli.readers; "
            "from iscsi_client.model import Portal; p = Portal.parse('10.0.0.1'); "
            "print('dataclasses' in sys.modules, 'inspect' in sys.modules); import dataclasses; "
            "print([f.name for f in dataclasses.fields(p)], dataclasses.asdict(p), dataclasses.is_dataclass(Portal))")
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0] == "False False"
    assert out[1] == "['host', 'port', 'tpgt'] {'host': '10.0.0.1', 'port': 3260, 'tpgt': None} True"


def test_a_class_records_do_not_cover_is_made_by_dataclass_with_the_same_answers():
    @record
    class Post:
        a: int
        b: list[int] = records.field(default_factory=list, compare=False)

        def __post_init__(self) -> None:
            if self.a < 0:
                raise ValueError("negative")

    with pytest.raises(ValueError, match="negative"):
        Post(-1)
    assert Post(1) == Post(1, [2]) and repr(Post(1)) == "test_a_class_records_do_not_cover_is_made_by_dataclass_" \
        "with_the_same_answers.<locals>.Post(a=1, b=[])"
    assert [f.name for f in dataclasses.fields(Post)] == ["a", "b"] and not dataclasses.fields(Post)[1].compare


def test_records_replace_is_dataclasses_replace():
    """records.replace (login's outcomes, without importing dataclasses) gives what dataclasses.replace gives,
    and refuses a name that is no field as it does."""
    a = RF("a", ["x"], "s", 1)
    changed = records.replace(a, port=9, secret="t")
    assert changed == dataclasses.replace(a, port=9, secret="t") == RF("a", ["x"], "t", 9)
    with pytest.raises(TypeError, match="unexpected keyword argument 'nope'"):
        records.replace(a, nope=1)
    with pytest.raises(TypeError, match="unexpected keyword argument 'nope'"):
        dataclasses.replace(a, nope=1)


@record(frozen=False)
class MR:
    path: str
    lines: list[str] = records.field(default_factory=list)
    written: bool = False


@dataclass
class MD:
    path: str
    lines: list[str] = field(default_factory=list)
    written: bool = False


@given(st.text(max_size=3), st.lists(st.sampled_from("ab"), max_size=2), st.booleans())
def test_a_mutable_record_answers_as_a_plain_dataclass(path, lines, written):
    r, d = MR(path, list(lines)), MD(path, list(lines))
    r.written = d.written = written
    r.lines.append("x")
    d.lines.append("x")
    assert repr(r) == repr(d).replace("MD(", "MR(", 1)
    assert dataclasses.asdict(r) == dataclasses.asdict(d)
    assert (r == MR(path, [*lines, "x"], written)) and r != MD(path, [*lines, "x"], written)
    with pytest.raises(TypeError, match="unhashable"):
        hash(r)
    assert MR.__hash__ is None and MD.__hash__ is None
    assert MR("a").lines is not MR("a").lines  # a fresh list each time, as default_factory gives
    assert not MR.__dataclass_params__.frozen and MD.__dataclass_params__.frozen is False  # type: ignore[attr-defined]
    assert [f.name for f in dataclasses.fields(r)] == [f.name for f in dataclasses.fields(d)]
