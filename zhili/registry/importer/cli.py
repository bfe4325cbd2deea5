"""The `zhili import people|houses|vehicles|places` commands (registered on the CLI's import group by zhili/cli.py).
Heavy imports stay inside the command, so `zhili --help` stays quick."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

WHAT = {"people": "人口", "houses": "房屋", "vehicles": "车辆", "places": "场所"}


def register(import_app: typer.Typer, engine: Callable[[], Any], console: Console) -> None:
    for what, label in WHAT.items():
        import_app.command(what, help=f"从部门导出文件导入{label}（csv 或 xlsx）")(_command(what, label, engine, console))


def _command(what: str, label: str, engine_of: Callable[[], Any], console: Console) -> Callable[..., None]:
    def command(
        file: Path = typer.Argument(..., help=f"{label}导出文件（.csv 或 .xlsx）"),
        source: str | None = typer.Option(None, "--source", help="来源名，如 公安、民政（默认取映射文件的 source）"),
        mapping: Path = typer.Option(..., "--mapping", help="映射文件（YAML），见 zhili/registry/examples/"),
        rejects: Path | None = typer.Option(None, "--rejects", help="被拒行报告（csv）；默认 FILE 旁的 *.rejects.csv"),
        dry_run: bool = typer.Option(False, "--dry-run", help="只检查，不写入数据库"),
        batch: int = typer.Option(5000, "--batch", min=100, max=50000, help="每个事务的行数"),
    ) -> None:
        """Exit 0 when the import ran (refused rows are in the report), 2 for a bad mapping or file."""
        import time

        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        from zhili.auth.actor import system_actor
        from zhili.config import get_settings
        from zhili.db import make_sessionmaker
        from zhili.imports.mapping import ImportMappingError
        from zhili.imports.reader import ImportFileError
        from zhili.registry.importer.run import import_registry

        report = rejects or file.with_name(file.stem + ".rejects.csv")
        settings = get_settings()
        engine = engine_of()
        try:
            with Progress(TextColumn(f"导入{label}"), BarColumn(), TextColumn("已读 {task.completed:,.0f} 行"),
                          TextColumn("{task.fields[rate]} 行/秒"), TimeElapsedColumn(), console=console) as bar:
                task = bar.add_task("import", total=None, rate="-")
                started = time.perf_counter()

                def progress(read: int) -> None:
                    bar.update(task, completed=read, rate=f"{read / max(time.perf_counter() - started, 1e-6):,.0f}")

                summary = import_registry(make_sessionmaker(engine), system_actor(), what, file, mapping,
                                          source=source, rejects=report, dry_run=dry_run, batch_size=batch,
                                          refresh_seconds=settings.geo_refresh_seconds, progress=progress)
        except (ImportMappingError, ImportFileError) as exc:
            console.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(2) from exc
        finally:
            engine.dispose()
        c = summary.counts
        rate = c["read"] / summary.seconds if summary.seconds else 0.0
        console.print(
            f"{'（试运行，未写入）' if summary.dry_run else ''}来源 {summary.source}，文件 {summary.file}：读取 {c['read']} 行，"
            f"新建 {c['created']}，关联已有 {c['linked']}，待人工确认 {c['review']}，更新 {c['updated']}，"
            f"未变 {c['unchanged']}，拒绝 {c['rejected']} 行，冲突字段 {c['conflicts']} 个"
            f"；用时 {summary.seconds:.1f} 秒（{rate:,.0f} 行/秒）")
        if c["warnings"]:
            console.print(f"[yellow]警告 {c['warnings']} 行（地址未匹配，已保留但没有网格）[/yellow]")
            for row, sid, _, reason in summary.first_warnings[:5]:
                console.print(f"  第 {row} 行 {sid}：{reason}")
        if c["rejected"]:
            fields = "、".join(f"{k} {v} 行" for k, v in sorted(summary.rejects_by_field.items()))
            console.print(f"[yellow]被拒行（{fields}）已写入 {report}[/yellow]")
            for row, sid, _, reason in summary.first_rejects[:5]:
                console.print(f"  第 {row} 行 {sid}：{reason}")

    command.__doc__ = f"Import {what} from a department's export; exit 2 for a bad mapping or file."
    return command
