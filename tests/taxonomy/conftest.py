from __future__ import annotations

import pytest

from tests.factories import World
from zhili.db import transaction
from zhili.taxonomy.seed import seed_default_rules


@pytest.fixture
def ruled(db, world) -> World:  # type: ignore[no-untyped-def]
    """The test world with the district-wide default rules seeded (idempotent if the factories already did)."""
    with transaction(db) as s:
        seed_default_rules(s)
    return world
