"""Authorization table of the Open311 administration page (the GeoReport v2 routes themselves are public: see
tests/matrix_common.PUBLIC; their api_key checks are in tests/open311/test_api.py)."""

from __future__ import annotations

from tests.matrix_common import DENY, MISSING, OK, Case

MATRIX: dict[tuple[str, str], list[Case]] = {
    ("GET", "/gov/open311"): [Case("admin", "/gov/open311", OK, contains=["Open311 接入"]),
                              Case("street", "/gov/open311", DENY), Case("resident", "/gov/open311", DENY)],
    ("POST", "/gov/open311"): [
        Case("admin", "/gov/open311", 201, data={"name": "随手拍", "contact": "某公司 13800138000"},
             contains=["o311_", "随手拍", "138****8000"]),
        Case("street", "/gov/open311", DENY, data={"name": "随手拍2"}),
        Case("admin", "/gov/open311", MISSING, data={"deactivate": "99999"})],
}
