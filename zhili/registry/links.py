"""Links from cases to the registry (a person's or an address's page shows its cases), made by the
`registry.link_cases` job every few minutes over the cases received since its last run (a watermark):

- caller_phone: the caller's phone equals a person's phone (blind index to blind index; nothing decrypted);
- address: the case's address text resolves (addresses/matcher) to a standard address; and every place on that
  standard address is linked the same way.

Idempotent: a link that exists is not written again (and the table's unique key would refuse it), and a rerun from
an older watermark finds every link already there. Nothing here commits: the job runner owns the transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from zhili.addresses import service as address_service
from zhili.config import Settings
from zhili.kit import clock
from zhili.registry import repository_links as repo

WATERMARK = "registry.link_cases"
BATCH = 1000
MAX_BATCHES = 20  # a run links at most this many batches; the next run goes on from the watermark


def link_batch(session: Session, cases: list[tuple[int, str | None, str]], refresh_seconds: float = 5.0
               ) -> dict[str, int]:
    """Link these cases (id, caller phone bidx, address text); returns the links written by kind."""
    now = clock.now()
    people = repo.people_by_phone(session, [b for _, b, _ in cases if b])
    wanted: list[tuple[int, str, int, str]] = []
    addresses: dict[int, int] = {}
    for case_id, bidx, text in cases:
        for pid in people.get(bidx or "", []):
            wanted.append((case_id, "person", pid, "caller_phone"))
        if text.strip():
            m = address_service.resolve(session, text, refresh_seconds)
            if m.matched and m.standard_address_id is not None:
                addresses[case_id] = m.standard_address_id
                wanted.append((case_id, "address", m.standard_address_id, "address"))
    places = repo.places_at(session, addresses.values())
    for case_id, address_id in addresses.items():
        wanted += [(case_id, "place", pid, "address") for pid in places.get(address_id, [])]
    have = repo.existing(session, [c for c, _, _ in cases])
    rows: list[dict[str, Any]] = []
    for case_id, kind, entity_id, how in wanted:
        if (case_id, kind, entity_id) in have:
            continue
        have.add((case_id, kind, entity_id))
        rows.append(dict(case_id=case_id, kind=kind, entity_id=entity_id, how=how, created_at=now, note=""))
    repo.add_links(session, rows)
    counts = {"person": 0, "address": 0, "place": 0}
    for r in rows:
        counts[r["kind"]] += 1
    return counts


def link_new_cases(session: Session, settings: Settings, *, since: int | None = None) -> dict[str, int]:
    """Link the cases after the watermark (or after `since`), batch by batch, moving the watermark on."""
    last = repo.watermark(session, WATERMARK) if since is None else since
    totals = {"cases": 0, "person": 0, "address": 0, "place": 0}
    for _ in range(MAX_BATCHES):
        cases = repo.cases_after(session, last, BATCH)
        if not cases:
            break
        for kind, n in link_batch(session, cases, settings.geo_refresh_seconds).items():
            totals[kind] += n
        totals["cases"] += len(cases)
        last = cases[-1][0]
        repo.set_watermark(session, WATERMARK, last, clock.now())
    return totals
