"""What the in-process caches keep: one generation of the data at a time, bounded, nothing from a stale one."""
from grid_app.coverage.kept import Kept


def test_a_new_generation_or_too_many_keys_starts_afresh_and_a_stale_value_is_not_kept():
    kept, calls = Kept(limit=2), []
    assert kept.one("v1", "a", lambda: calls.append("a") or 1) == 1
    assert kept.one("v1", "a", lambda: calls.append("again") or 2) == 1 and calls == ["a"]
    assert kept.get("v2", ["a"]) == [None]  # the data changed: v1's value is gone
    kept.put("v1", {"b": 3})  # computed from v1 while v2 came in: answered elsewhere, not kept
    assert kept.get("v2", ["b"]) == [None]
    kept.put("v2", {"x": 1, "y": 2, "z": 3})
    assert kept.get("v2", ["x"]) == [None]  # over the limit: afresh
    kept.put("v2", {"x": 1})
    kept.clear()
    assert kept.get("v2", ["x"]) == [None]
