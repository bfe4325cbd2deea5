"""Authorization cases for the address routes (merged into tests/test_authz_matrix.py).

Address id 1 is 天童南路588号 of the test world (tests/addresses/world.py). Whoever takes or files cases may resolve
and read addresses (cases.intake / cases.report); others are refused."""

from __future__ import annotations

from urllib.parse import quote

from tests.matrix_common import DENY, MISSING, OK, Case

Q = quote("首南街道天童南路588号")
MATRIX: dict[tuple[str, str], list[Case]] = {
    ("GET", "/api/addresses/resolve"): [
        Case("operator", f"/api/addresses/resolve?q={Q}", OK, contains=["330212006001001", "\"matched\":true"]),
        Case("grid_a", f"/api/addresses/resolve?q={Q}", OK),
        Case("resident", f"/api/addresses/resolve?q={Q}", OK),
        Case("ops", f"/api/addresses/resolve?q={Q}", DENY), Case("cg", f"/api/addresses/resolve?q={Q}", DENY)],
    ("GET", "/api/addresses/{address_id}"): [
        Case("street", "/api/addresses/1", OK, contains=["天童南路", "南裕社区"]),
        Case("street", "/api/addresses/99999", MISSING),
        Case("ops", "/api/addresses/1", DENY), Case("dept", "/api/addresses/1", DENY)],
}
