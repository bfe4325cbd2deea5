"""Address text -> standard address and its place (community, micro-grid, grid), cached per distinct text for the
whole import (bounded: the least recently used texts are dropped past `limit`). The address matcher
(addresses/matcher.py) does the matching; the grid is the standard address's micro-grid's grid.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from zhili.addresses import service as address_service
from zhili.registry import repository_import as repo


@dataclass(frozen=True)
class Located:
    address_id: int
    area_id: int
    area_path: str
    micro_grid_id: int | None
    grid_id: int | None
    full_text: str
    building: tuple[int, int, str, str]  # road, number, suffix, building: "the same building"

    def columns(self) -> dict[str, Any]:
        return {"address_id": self.address_id, "area_id": self.area_id, "area_path": self.area_path,
                "micro_grid_id": self.micro_grid_id, "grid_id": self.grid_id, "address_text": self.full_text[:200]}


class AddressCache:
    def __init__(self, refresh_seconds: float = 5.0, limit: int = 200_000) -> None:
        self.refresh_seconds = refresh_seconds
        self.limit = limit
        self._texts: OrderedDict[str, Located | str] = OrderedDict()
        self._micro: dict[int, int] | None = None
        self.matched = 0  # distinct texts sent to the matcher

    def resolve(self, session: Session, texts: set[str]) -> dict[str, Located | str]:
        """text -> its place, or the Chinese reason it matched no standard address."""
        out: dict[str, Located | str] = {}
        misses: dict[str, int | str] = {}
        for t in texts:
            hit = self._texts.get(t)
            if hit is None:
                misses[t] = ""
            else:
                self._texts.move_to_end(t)
                out[t] = hit
        if misses:
            gaz = address_service.current_gazetteer(session, self.refresh_seconds)
            for t in misses:
                m = gaz.match(t[:address_service.MAX_TEXT])
                self.matched += 1
                misses[t] = m.address.id if m.matched and m.address is not None else f"未能匹配到标准地址：{m.message}"
            if self._micro is None:
                self._micro = repo.micro_grid_to_grid(session)
            rows = {r.id: r for r in repo.address_rows(session, [v for v in misses.values() if isinstance(v, int)])}
            for t, v in misses.items():
                if isinstance(v, int):
                    r = rows.get(v)
                    if r is None:
                        found: Located | str = "未能匹配到标准地址：该地址已被删除"
                    else:
                        found = Located(r.id, r.area_id, r.area_path, r.micro_grid_id,
                                        self._micro.get(r.micro_grid_id) if r.micro_grid_id else None, r.full_text,
                                        (r.road_id, r.number, r.number_suffix, r.building))
                else:
                    found = v
                out[t] = found
                self._texts[t] = found
            while len(self._texts) > self.limit:
                self._texts.popitem(last=False)
        return out
