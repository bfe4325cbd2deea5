"""kit/versioned.py: a per-database value rebuilt when its version changes, checked at most every refresh."""

from __future__ import annotations

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from zhili.kit.versioned import VersionedCache


def test_rebuilds_only_when_the_version_changes_and_per_database(tmp_path) -> None:  # type: ignore[no-untyped-def]
    state = {"version": 1, "builds": 0}

    def build(session: Session, version: object) -> str:
        state["builds"] += 1
        return f"v{version}"

    cache: VersionedCache[str] = VersionedCache(lambda s: state["version"], build)
    one, two = (Session(create_engine(f"sqlite:///{tmp_path}/{n}.db")) for n in ("one", "two"))
    assert cache.get(one, 0) == "v1" and cache.get(one, 0) == "v1" and state["builds"] == 1
    state["version"] = 2
    assert cache.get(one, 60) == "v1"  # inside the refresh window the version is not even read
    assert cache.get(one, 0) == "v2" and state["builds"] == 2
    assert cache.get(two, 0) == "v2" and state["builds"] == 3  # another database has its own value
    cache.forget(one)
    assert cache.get(one, 60) == "v2" and state["builds"] == 4
