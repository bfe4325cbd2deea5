"""Authorization cases for the registry's browsing routes: lists, entity and address pages, reveal, data quality
(merged into tests/test_authz_matrix.py). World: tests/registry/world.py (person 1 grid A, 2 grid B, 3 grid C, 4 a
minor in grid A; house/vehicle/place 1 in grid A, 2 in grid C; address 1 天童南路588号 in grid A)."""

from __future__ import annotations

from tests.matrix_common import C1, DENY, MISSING, OK, S2, Case

REVEAL = {"field": "phone", "reason": "核实低保申请材料"}


def _kind_rows(path: str, title_1: str, title_2: str) -> dict[tuple[str, str], list[Case]]:
    return {
        ("GET", f"/api/registry/{path}"): [
            Case("grid_a", f"/api/registry/{path}", OK, contains=[title_1], absent=[title_2]),
            Case("street2", f"/api/registry/{path}", OK, contains=[title_2], absent=[title_1]),
            Case("street", f"/api/registry/{path}?area={S2}", MISSING),
            Case("resident", f"/api/registry/{path}", DENY)],
        ("GET", f"/api/registry/{path}/{{entity_id}}"): [
            Case("grid_a", f"/api/registry/{path}/1", OK, contains=[title_1]),
            Case("grid_a", f"/api/registry/{path}/2", MISSING), Case("street2", f"/api/registry/{path}/1", MISSING),
            Case("resident", f"/api/registry/{path}/1", DENY)],
        ("GET", f"/gov/registry/{path}/{{entity_id}}"): [
            Case("community", f"/gov/registry/{path}/1", OK, contains=[title_1]),
            Case("street2", f"/gov/registry/{path}/1", MISSING), Case("resident", f"/gov/registry/{path}/1", DENY)],
    }


MATRIX: dict[tuple[str, str], list[Case]] = {
    **_kind_rows("people", "张三丰", "王五常"),
    **_kind_rows("houses", "天童南路588号1幢", "钱湖北路588号"),
    **_kind_rows("vehicles", "浙B12345", "浙BD12345"),
    **_kind_rows("places", "南裕便利店", "东兴建筑工地"),
    ("GET", "/api/registry/addresses/{address_id}"): [
        Case("grid_a", "/api/registry/addresses/1", OK, contains=["588号1幢", "张三丰"]),
        Case("street2", "/api/registry/addresses/1", MISSING), Case("grid_a", "/api/registry/addresses/999", MISSING),
        Case("resident", "/api/registry/addresses/1", DENY)],
    ("GET", "/gov/registry/addresses/{address_id}"): [
        Case("street", "/gov/registry/addresses/1", OK, contains=["天童南路588号"]),
        Case("grid_b", "/gov/registry/addresses/1", MISSING), Case("resident", "/gov/registry/addresses/1", DENY)],
    ("POST", "/api/registry/{kind}/{entity_id}/reveal"): [
        Case("leader", "/api/registry/people/1/reveal", OK, json=REVEAL, contains=["13811112222"]),
        Case("operator", "/api/registry/people/1/reveal", DENY, json=REVEAL),
        Case("street2", "/api/registry/people/1/reveal", MISSING, json=REVEAL),
        Case("leader", "/api/registry/people/1/reveal", 422, json={"field": "phone", "reason": "看"})],
    ("GET", "/api/registry/quality"): [
        Case("street", "/api/registry/quality", OK, contains=["南裕社区"], absent=["东兴社区"]),
        Case("street", f"/api/registry/quality?area={S2}", MISSING),
        Case("resident", "/api/registry/quality", DENY)],
    ("GET", "/gov/registry"): [
        Case("grid_a", "/gov/registry", OK, contains=["张三丰", "138****2222"], absent=["李四光", "王五常"]),
        Case("zj", "/gov/registry?tab=houses", OK, contains=["出租房"]),
        Case("street2", f"/gov/registry?area={C1}", MISSING), Case("resident", "/gov/registry", DENY)],
    ("GET", "/gov/registry/quality"): [
        Case("community", "/gov/registry/quality", OK, contains=["南裕社区第1网格"]),
        Case("community", f"/gov/registry/quality?area={S2}", MISSING),
        Case("resident", "/gov/registry/quality", DENY)],
}
