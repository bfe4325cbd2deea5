"""Producing the monthly report files (the API, the page button and `zhili report monthly` share this): checks
the month, gathers the data in the actor's jurisdiction, writes xlsx or PDF, and logs the export in the audit."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from zhili.assessment import report, report_pdf, report_xlsx, service
from zhili.assessment.periods import Period
from zhili.auth import audit
from zhili.auth.actor import Actor
from zhili.config import Settings

MEDIA = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "pdf": "application/pdf"}


def render(data: report.ReportData, kind: str) -> bytes:
    return report_xlsx.workbook_bytes(data) if kind == "xlsx" else report_pdf.pdf_bytes(data)


def file_name(p: Period, kind: str) -> str:
    return f"社会治理月度报告-{p.label}.{kind}"


def monthly_file(session: Session, actor: Actor, settings: Settings, month: str | None, kind: str
                 ) -> tuple[bytes, str, str]:
    actor.require("assessment.view")
    p = service.period(month)
    data = report.build(session, actor, p, settings.district_name)
    content = render(data, kind)
    audit.record(session, "assessment.report_export", detail={"month": p.label, "format": kind},
                 actor_id=actor.user_id, actor_name=actor.username)
    return content, file_name(p, kind), MEDIA[kind]


def write_monthly(session: Session, actor: Actor, settings: Settings, month: str, output: Path) -> list[Path]:
    """`zhili report monthly`: score the month with every active scheme that has no run yet, then write the
    workbook and the PDF into `output`. Returns the two paths."""
    p = service.period(month)
    service.compute_missing(session, actor, p)
    data = report.build(session, actor, p, settings.district_name)
    output.mkdir(parents=True, exist_ok=True)
    paths = []
    for kind in ("xlsx", "pdf"):
        path = output / file_name(p, kind)
        path.write_bytes(render(data, kind))
        paths.append(path)
    audit.record(session, "assessment.report_export", detail={"month": p.label, "format": "xlsx+pdf", "via": "cli"},
                 actor_id=actor.user_id, actor_name=actor.username)
    return paths
