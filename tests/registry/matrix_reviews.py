"""Authorization rows for the match review queue, merged into tests/test_authz_matrix.py.

`{registry:review_b}` is an open review of a 民政 record against person 2 (grid B; tests/registry/reviews_fill.py).
Reading needs registry.read and is scoped by the candidate's place (grid_a does not see grid B's review; tested
in tests/registry/test_matching.py); deciding needs registry.manage (center operator, admin). Names and numbers
are masked (the matrix checks no phone or ID number leaks)."""

from __future__ import annotations

from tests.matrix_common import DENY, MISSING, OK, Case

R = "{registry:review_b}"
API = "/api/registry/reviews"
PAGE = "/gov/registry/reviews"

MATRIX: dict[tuple[str, str], list[Case]] = {
    ("GET", API): [
        Case("operator", f"{API}?status=open&at={R}", OK, contains=["李四光", "139****5678"]),
        Case("grid_a", f"{API}?status=open&at={R}", OK, absent=["李四光"]),
        Case("resident", API, DENY), Case("cg", API, OK, absent=["李四光"])],
    ("POST", API + "/{review_id}"): [
        Case("grid_b", f"{API}/{R}", DENY, json={"decision": "linked"}),
        Case("street", f"{API}/{R}", DENY, json={"decision": "linked"}),
        Case("operator", f"{API}/99999", MISSING, json={"decision": "linked"}),
        Case("operator", f"{API}/{R}", 422, json={"decision": "maybe"}),
        Case("operator", f"{API}/{R}", OK, json={"decision": "linked"}, contains=['"linked"']),
        Case("operator", f"{API}/{R}", 409, json={"decision": "separate"})],
    ("GET", PAGE): [
        Case("operator", f"{PAGE}?at={R}", OK, contains=["匹配确认", "李四光", "是同一对象"]),
        Case("grid_b", f"{PAGE}?at={R}", OK, contains=["李四光"], absent=["name=\"decision\""]),
        Case("resident", PAGE, DENY)],
    ("POST", PAGE + "/{review_id}"): [
        Case("community", f"{PAGE}/{R}", DENY, data={"decision": "separate"}),
        Case("operator", f"{PAGE}/99999", MISSING, data={"decision": "separate"}),
        Case("operator", f"{PAGE}/{R}", 303, data={"decision": "separate"})],
}
