"""isc tune's range checks and profiles: what a sysadmin types, refused before anything runs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iscsi_client.errors import UsageError
from iscsi_client.ops.tunables import BY_NAME, check_together, parse_sets, profile_values


@given(st.integers(min_value=-5, max_value=5000))
def test_cmds_max_takes_powers_of_two_from_2_to_2048(n):
    ok = 2 <= n <= 2048 and n & (n - 1) == 0
    if ok:
        assert parse_sets([f"cmds_max={n}"])["cmds_max"].value == str(n)
    else:
        with pytest.raises(UsageError):
            parse_sets([f"cmds_max={n}"])


@pytest.mark.parametrize(("word", "low", "high"), [("queue_depth", 1, 1024), ("nr_sessions", 1, 256),
                                                   ("replacement_timeout", 0, 86400)])
def test_ranges_are_inclusive_and_named_in_the_refusal(word, low, high):
    assert parse_sets([f"{word}={low}"])[word].value == str(low)
    assert parse_sets([f"{word}={high}"])[word].value == str(high)
    with pytest.raises(UsageError, match=f"{low} to {high}"):
        parse_sets([f"{word}={high + 1}"])
    if low > 0:
        with pytest.raises(UsageError):
            parse_sets([f"{word}={low - 1}"])


def test_a_non_power_of_two_names_the_value_the_kernel_would_use():
    with pytest.raises(UsageError) as e:
        parse_sets(["cmds_max=300"])
    assert "256" in e.value.message and "use 256 or 512" in (e.value.hint or "")


@given(st.text(max_size=12))
def test_any_word_is_a_value_or_a_usage_error(text):
    try:
        value = parse_sets([f"queue_depth={text}"])["queue_depth"].value
    except UsageError:
        return
    assert value.isdigit() and 1 <= int(value) <= 1024


def test_record_setting_names_and_digest_choices():
    got = parse_sets(["node.session.queue_depth=64", "header_digest=crc32c"])
    assert got["queue_depth"].value == "64" and got["header_digest"].value == "CRC32C"
    with pytest.raises(UsageError, match="one of"):
        parse_sets(["data_digest=md5"])
    with pytest.raises(UsageError) as e:
        parse_sets(["node.session.scan=manual"])  # a record setting isc tune does not own
    assert "isc nodes set" in (e.value.hint or "")
    with pytest.raises(UsageError, match="twice"):
        parse_sets(["queue_depth=8", "node.session.queue_depth=16"])


def test_a_queue_depth_above_cmds_max_is_refused_with_the_value_that_fits():
    with pytest.raises(UsageError) as e:
        check_together({"queue_depth": "512", "cmds_max": "128"})
    assert "cmds_max=512" in (e.value.hint or "")
    check_together({"queue_depth": "64", "cmds_max": "128"})


def test_profiles():
    mp = profile_values("multipath", portals=2, defaults={})
    assert mp["replacement_timeout"].value == "5"
    one = profile_values("throughput", portals=1, defaults={})
    two = profile_values("throughput", portals=2, defaults={})
    assert one["nr_sessions"].value == "2" and "nr_sessions" not in two  # several sessions on a single path only
    for values in (one, two, mp):
        check_together({k: p.value for k, p in values.items()})
        for name, p in values.items():
            assert BY_NAME[name].check(p.value) == p.value
    d = profile_values("defaults", portals=1, defaults={"node.session.queue_depth": "16"})
    assert d["queue_depth"].value == "16" and d["queue_depth"].why == "iscsid.conf's value"
    assert d["cmds_max"].value == "128" and "built-in" in d["cmds_max"].why
    with pytest.raises(UsageError, match="profiles: multipath"):
        profile_values("fast", portals=1, defaults={})


def test_a_secret_typed_into_set_is_not_echoed():
    with pytest.raises(UsageError) as e:
        parse_sets(["node.session.auth.password=s3cretS3cret99"])
    assert "node.session.auth.password" in e.value.message
    assert "s3cretS3cret99" not in e.value.message + (e.value.hint or "")
