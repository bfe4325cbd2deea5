"""Authorization cases of the work calendar: changes need calendar.manage (admin); reads and the deadline
calculator need calendar.manage or cases.supervise (leader, operator)."""

from __future__ import annotations

from tests.matrix_common import DENY, OK, Case

DEADLINE = "start=2026-02-13T16:00&value=4&unit=work_hours"

MATRIX: dict[tuple[str, str], list[Case]] = {
    ("GET", "/api/calendar/years"): [
        Case("admin", "/api/calendar/years", OK, contains=['"year":2026', "chinesecalendar"]),
        Case("leader", "/api/calendar/years", OK), Case("street", "/api/calendar/years", DENY),
        Case("resident", "/api/calendar/years", DENY)],
    ("GET", "/api/calendar/days"): [
        Case("operator", "/api/calendar/days?year=2026", OK, contains=["2026-02-16", "春节"]),
        Case("grid_a", "/api/calendar/days?year=2026", DENY), Case("dept", "/api/calendar/days", DENY)],
    ("PUT", "/api/calendar/days/{day}"): [
        Case("admin", "/api/calendar/days/2027-02-08", OK, json={"kind": "holiday", "name": "春节"},
             contains=["管理员录入"]),
        Case("leader", "/api/calendar/days/2027-02-08", DENY, json={"kind": "holiday"}),
        Case("street", "/api/calendar/days/2027-02-08", DENY, json={"kind": "holiday"})],
    ("DELETE", "/api/calendar/days/{day}"): [
        Case("operator", "/api/calendar/days/2026-10-07", DENY),
        Case("admin", "/api/calendar/days/2026-10-07", 204)],
    ("POST", "/api/calendar/years/{year}"): [
        Case("operator", "/api/calendar/years/2027", DENY),
        Case("admin", "/api/calendar/years/2027", OK, contains=['"covered":true'])],
    ("DELETE", "/api/calendar/years/{year}"): [
        Case("leader", "/api/calendar/years/2030", DENY),
        Case("admin", "/api/calendar/years/2026", 409),
        Case("admin", "/api/calendar/years/2030", 204)],
    ("GET", "/api/calendar/deadline"): [
        Case("operator", f"/api/calendar/deadline?{DEADLINE}", OK, contains=["2026-02-14T03:00:00Z"]),
        Case("community", f"/api/calendar/deadline?{DEADLINE}", DENY),
        Case("resident", f"/api/calendar/deadline?{DEADLINE}", DENY)],
    ("GET", "/gov/calendar"): [
        Case("admin", "/gov/calendar?year=2026", OK, contains=["春节", 'action="/gov/calendar/days"']),
        Case("leader", "/gov/calendar?year=2026", OK, contains=["春节"], absent=['action="/gov/calendar/days"']),
        Case("street", "/gov/calendar", DENY), Case("ops", "/gov/calendar", DENY)],
    ("POST", "/gov/calendar/days"): [
        Case("admin", "/gov/calendar/days", 303, data={"day": "2027-02-08", "kind": "holiday", "name": "春节"}),
        Case("operator", "/gov/calendar/days", DENY, data={"day": "2027-02-08", "kind": "holiday"})],
    ("POST", "/gov/calendar/days/{day}/delete"): [
        Case("leader", "/gov/calendar/days/2026-10-07/delete", DENY),
        Case("admin", "/gov/calendar/days/2026-10-07/delete", 303)],
    ("POST", "/gov/calendar/years/{year}"): [
        Case("street", "/gov/calendar/years/2027", DENY),
        Case("admin", "/gov/calendar/years/2027", 303)],
    ("POST", "/gov/calendar/years/{year}/delete"): [
        Case("operator", "/gov/calendar/years/2030/delete", DENY),
        Case("admin", "/gov/calendar/years/2030/delete", 303)],
    ("GET", "/gov/calendar/deadline"): [
        Case("leader", f"/gov/calendar/deadline?{DEADLINE}", OK, contains=["2026-02-14 11:00"]),
        Case("grid_a", f"/gov/calendar/deadline?{DEADLINE}", DENY)],
}
