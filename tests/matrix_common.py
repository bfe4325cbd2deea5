"""What every authorization-matrix table shares: the Case row, the world's codes, the leak patterns.

Each domain may keep its own table in tests/<domain>/matrix.py (a `MATRIX` dict); tests/domain_matrices.py
gathers them and tests/test_authz_matrix.py checks the union covers every route of the app."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

GRID_A, GRID_B, GRID_C = "330212006001001", "330212006001002", "330212001005001"
S1, S2, C1, C2 = "330212006000", "330212001000", "330212006001", "330212001005"
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID_NUMBER = re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])")
PUBLIC = {("POST", "/api/auth/token"), ("GET", "/login"), ("POST", "/login"), ("GET", "/login/totp"),
          ("POST", "/login/totp"), ("GET", "/"), ("GET", "/healthz"), ("GET", "/api/docs"),
          ("GET", "/api/openapi.json"), ("GET", "/docs/oauth2-redirect")}
# Open311 GeoReport v2: the specification's reads need no key; POST requests needs a client's api_key, not a
# login (its 403s are tested in tests/open311). Reads show only cases filed through Open311 in public categories.
PUBLIC |= {("GET", "/open311/v2/discovery.{fmt}"), ("GET", "/open311/v2/services.{fmt}"),
           ("GET", "/open311/v2/services/{service_code}.{fmt}"), ("POST", "/open311/v2/requests.{fmt}"),
           ("GET", "/open311/v2/requests.{fmt}"), ("GET", "/open311/v2/requests/{service_request_id}.{fmt}"),
           ("GET", "/open311/v2/tokens/{token}.{fmt}")}


@dataclass
class Case:
    persona: str
    url: str
    status: int | tuple[int, ...]
    json: Any = None
    files: Any = None
    data: Any = None  # a form body
    member: str | None = None  # fill "{member}" with this staff key's GridMember id
    contains: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)


OK, DENY, MISSING = 200, 403, 404
