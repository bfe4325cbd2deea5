"""The `zhili` command."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from zhili.config import get_settings

app = typer.Typer(help="zhili 治理：基层社会治理与未来社区平台", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="数据库迁移", no_args_is_help=True)
import_app = typer.Typer(help="导入数据", no_args_is_help=True)
export_app = typer.Typer(help="导出数据", no_args_is_help=True)
audit_app = typer.Typer(help="审计日志", no_args_is_help=True)
auth_app = typer.Typer(help="账户", no_args_is_help=True)
brain_app = typer.Typer(help="智能模型：事项分类建议", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
app.add_typer(audit_app, name="audit")
app.add_typer(auth_app, name="auth")
app.add_typer(brain_app, name="brain")
report_app = typer.Typer(help="报表：指标与月度报告", no_args_is_help=True)
app.add_typer(report_app, name="report")
from zhili.cli_keys import ensure_key, keys_app  # noqa: E402

app.add_typer(keys_app, name="keys")
console = Console()


def _engine():  # type: ignore[no-untyped-def]
    from zhili.db import make_engine
    from zhili.kit import crypto

    settings = get_settings()
    try:
        crypto.configure_from(settings)
    except crypto.KeyConfigError as exc:  # refuse to start rather than write personal data in clear
        Console(stderr=True).print(f"[red]{exc.message}[/red]")
        raise typer.Exit(2) from exc
    return make_engine(settings.database_url)


def _system_session(engine):  # type: ignore[no-untyped-def]
    from zhili.auth.actor import system_actor
    from zhili.db import make_sessionmaker, transaction

    actor = system_actor()
    return actor, transaction(make_sessionmaker(engine), info={"actor": actor, "ip": "cli"})


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1, reload: bool = False) -> None:
    """Serve the web terminals and the API (migrates first)."""
    import uvicorn

    from zhili.migrate import upgrade

    engine = _engine()
    upgrade(engine)
    settings = get_settings()
    if settings.embedded_worker:
        import threading

        from zhili.jobs import run_worker

        threading.Thread(target=run_worker, args=(engine, settings), daemon=True, name="zhili-worker").start()
    uvicorn.run("zhili.asgi:app", host=host, port=port, workers=workers, reload=reload, proxy_headers=True,
                log_level="info")


@app.command()
def worker(once: bool = typer.Option(False, help="run every due job once and exit")) -> None:
    """Background jobs: audit retention purge and session clean-up (one leader per job via a database lock)."""
    from zhili.jobs import run_worker

    run_worker(_engine(), get_settings(), once=once)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations and seed the built-in roles."""
    from zhili.migrate import current, upgrade

    engine = _engine()
    upgrade(engine, revision)
    console.print(f"数据库已升级到 {current(engine)}")


@db_app.command("current")
def db_current() -> None:
    from zhili.migrate import current

    console.print(current(_engine()) or "(空库)")


@app.command()
def demo(
    seed: int = 2026,
    scale: str = typer.Option("district", help="district (~1,000 grids) or city (~10,000 grids)"),
    reset: bool = typer.Option(True, help="drop the embedded SQLite database first"),
    serve_after: bool = typer.Option(False, "--serve", help="serve on http://127.0.0.1:8000 afterwards"),
    port: int = 8000,
    cases: int = typer.Option(20000, "--cases", min=0, help="history cases over the last 12 months (0: none)"),
    people: int = typer.Option(40000, "--people", min=0,
                               help="residents of the synthetic registry, with households, houses, vehicles (0: none)"),
) -> None:
    """Build the demo district (Yinzhou) and print the demo logins."""
    from sqlalchemy import select

    from zhili.demo.build import DEMO_PASSWORD, build_demo
    from zhili.migrate import upgrade
    from zhili.org.models import Area

    if scale not in ("district", "city"):
        raise typer.BadParameter("scale 应为 district 或 city", param_hint="--scale")
    settings = get_settings()
    if reset and settings.database_url.startswith("sqlite:///"):
        path = Path(settings.database_url.split("///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    created = ensure_key(settings)  # a fresh machine: `zhili keys init --if-missing`
    if created:
        console.print(f"已生成密钥文件 {created}（权限 0600）")
    engine = _engine()
    upgrade(engine)
    _, tx = _system_session(engine)
    with tx as session:
        if session.scalar(select(Area.id).limit(1)) is not None:
            console.print("[yellow]数据库中已有区划数据；跳过生成（使用 --reset 重建，或换一个空库）[/yellow]")
            logins = None
        else:
            with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                          TimeElapsedColumn(), console=console) as bar:
                tasks: dict[str, TaskID] = {}

                def progress(stage: str, done: int, total: int) -> None:
                    if stage not in tasks:
                        tasks[stage] = bar.add_task(stage, total=total or None)
                    bar.update(tasks[stage], completed=done, total=total or None)

                logins = build_demo(session, seed=seed, scale=scale, progress=progress)
                session.flush()
                from zhili.demo.cases import seed_demo_cases

                seed_demo_cases(session, settings, progress)
                if people:
                    from zhili.demo.registry import build_registry

                    build_registry(session, people, seed=seed, progress=progress)
                if cases:
                    from zhili.demo.history import generate_cases

                    generate_cases(session, settings, cases, seed=seed, progress=progress)
                    from zhili.analysis import rollup

                    progress("指标汇总", 0, 1)
                    rollup.rebuild_all(session, settings)  # the history was written around the ORM
                    progress("指标汇总", 1, 1)
                    from zhili.brain import service as brain_service

                    progress("训练分类模型", 0, 1)
                    trained = brain_service.train(session, settings, by="demo")
                    progress("训练分类模型", 1, 1)
                    if trained.model is not None and trained.activated:
                        console.print(f"分类模型 v{trained.model.version}：交叉验证准确率 "
                                      f"{trained.model.scores['accuracy']:.3f}")
                    from zhili.insight import runs as insight_runs

                    progress("案件量预测", 0, 1)
                    run = insight_runs.run_forecasts(session)  # the forecasts page is not empty on day one
                    insight_runs.detect_anomalies(session)
                    progress("案件量预测", 1, 1)
                    console.print(f"案件量预测：{run.series_count} 条序列，{run.seconds:.1f} 秒")
                    from zhili.assessment.jobs import demo_scores

                    progress("考核评分（近 3 个月）", 0, 1)
                    demo_scores(session)
                    progress("考核评分（近 3 个月）", 1, 1)
                if people:  # what the registry's jobs would find on day one: case links, quality, 核查 tasks
                    from zhili.registry import links, quality, verify

                    progress("人口房屋：关联案件、数据质量、核查任务", 0, 3)
                    while links.link_new_cases(session, settings)["cases"]:
                        pass
                    progress("人口房屋：关联案件、数据质量、核查任务", 1, 3)
                    quality.job(session, settings)
                    progress("人口房屋：关联案件、数据质量、核查任务", 2, 3)
                    verify.generate_job(session, settings)
                    progress("人口房屋：关联案件、数据质量、核查任务", 3, 3)
    if logins:
        table = Table(title=f"演示账户（密码均为 {DEMO_PASSWORD}）")
        table.add_column("用户名", no_wrap=True)
        table.add_column("身份")
        table.add_column("动态口令密钥 (TOTP)", no_wrap=True, overflow="fold")
        for login in logins:
            table.add_row(login.username, login.description, login.totp_secret or "")
        console.print(table)
        console.print("需要动态口令的账户：用身份验证器添加上面的密钥，或运行 [bold]zhili auth totp USERNAME[/bold] 查看当前口令。")
    engine.dispose()
    if serve_after:
        serve(port=port)


@auth_app.command("totp")
def auth_totp(username: str) -> None:
    """Print a user's current one-time code (operators and demos; needs the database and its key)."""
    from zhili.db import make_sessionmaker, transaction
    from zhili.demo.build import totp_now

    with transaction(make_sessionmaker(_engine())) as session:
        code = totp_now(session, username)
    if code is None:
        console.print(f"[red]用户 {username} 不存在或未设置动态口令[/red]")
        raise typer.Exit(1)
    console.print(code)


@auth_app.command("create-user")
def create_user(username: str, display_name: str, role: list[str] = typer.Option(..., "--role"),
                area: list[str] = typer.Option([], "--area", help="area code of a jurisdiction"),
                password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True)) -> None:
    """Create a user with roles and area scopes."""
    from zhili.auth.service import ScopeSpec
    from zhili.auth.service import create_user as create
    from zhili.kit.errors import ZhiliError
    from zhili.org.repository import area_by_code_unscoped

    _, tx = _system_session(_engine())
    try:
        with tx as session:
            scopes = []
            for code in area:
                a = area_by_code_unscoped(session, code)
                if a is None:
                    raise typer.BadParameter(f"未知的区划代码 {code}", param_hint="--area")
                scopes.append(ScopeSpec(area_id=a.id, area_path=a.path))
            create(session, username=username, display_name=display_name, password=password, roles=role,
                   scopes=scopes)
    except ZhiliError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(2) from exc
    console.print(f"已创建用户 {username}")


@import_app.command("grids")
def import_grids(file: Path) -> None:
    """Import grids and micro-grids from a GeoJSON FeatureCollection (all or nothing)."""
    from zhili.kit.errors import ZhiliError
    from zhili.org import grid_files

    try:
        data = json.loads(file.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        console.print(f"[red]无法读取 GeoJSON：{exc}[/red]")
        raise typer.Exit(2) from exc
    actor, tx = _system_session(_engine())
    try:
        with tx as session:
            result = grid_files.import_grids(session, actor, data)
    except ZhiliError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(2) from exc
    console.print(f"新增网格 {result.created} 个，更新 {result.updated} 个，微网格 {result.micro_grids} 个")


@import_app.command("cases")
def import_cases_cmd(
    file: Path = typer.Argument(..., help="案件导出文件（.csv 或 .xlsx）"),
    mapping: Path = typer.Option(..., "--mapping", help="映射文件（YAML），见 zhili/imports/examples/cases_mapping.yaml"),
    source: str | None = typer.Option(None, "--source", help="来源系统名（默认取映射文件的 source）"),
    rejects: Path | None = typer.Option(None, "--rejects", help="被拒行报告（csv）；默认 FILE 旁的 *.rejects.csv"),
    dry_run: bool = typer.Option(False, "--dry-run", help="只检查，不写入数据库"),
) -> None:
    """Import a legacy system's case history; exit 0 when it ran, 2 for a bad mapping or file."""
    import time

    from zhili.auth.actor import system_actor
    from zhili.db import make_sessionmaker
    from zhili.imports.cases import import_cases
    from zhili.imports.mapping import ImportMappingError
    from zhili.imports.reader import ImportFileError

    report = rejects or file.with_name(file.stem + ".rejects.csv")
    settings = get_settings()
    engine = _engine()
    try:
        with Progress(TextColumn("导入案件"), BarColumn(), TextColumn("已读 {task.completed:,.0f} 行"),
                      TextColumn("{task.fields[rate]} 行/秒"), TimeElapsedColumn(), console=console) as bar:
            task = bar.add_task("import", total=None, rate="-")
            started = time.perf_counter()

            def progress(read: int) -> None:
                rate = read / max(time.perf_counter() - started, 1e-6)
                bar.update(task, completed=read, rate=f"{rate:,.0f}")

            summary = import_cases(make_sessionmaker(engine), settings, system_actor(), file, mapping,
                                   source=source, rejects=report, dry_run=dry_run, progress=progress)
    except (ImportMappingError, ImportFileError) as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(2) from exc
    finally:
        engine.dispose()
    rate = summary.read / summary.seconds if summary.seconds else 0.0
    console.print(f"{'（试运行，未写入）' if summary.dry_run else ''}来源 {summary.source}，文件 {summary.file}：读取 "
                  f"{summary.read} 行，导入 {summary.imported} 件，已存在 {summary.present} 件，拒绝 {summary.rejected} 行"
                  f"；用时 {summary.seconds:.1f} 秒（{rate:,.0f} 行/秒）")
    if summary.categories_created:
        console.print(f"新建导入分类 {summary.categories_created} 个（在“历史导入”分类下）")
    if summary.rejected:
        fields = "、".join(f"{k} {v} 行" for k, v in sorted(summary.rejects_by_field.items()))
        console.print(f"[yellow]被拒行（{fields}）已写入 {report}[/yellow]")
        for row, sid, _, reason in summary.first_rejects[:5]:
            console.print(f"  第 {row} 行 {sid}：{reason}")
    if summary.refresh_error:
        console.print(f"[yellow]案件已导入，但分析汇总刷新失败（稍后可重建）：{summary.refresh_error}[/yellow]")
    elif summary.first_day and not summary.dry_run and not summary.refreshed:
        console.print("[yellow]分析汇总未刷新（分析模块未就绪）[/yellow]")


from zhili.registry.importer.cli import register as _register_registry_imports  # noqa: E402

_register_registry_imports(import_app, lambda: _engine(), console)


@export_app.command("grids")
def export_grids(output: Path = typer.Option(Path("-"), "--output", "-o"), area: str | None = None,
                 micro: bool = False) -> None:
    """Export grids (and micro-grids) as GeoJSON."""
    from zhili.org import grid_files

    actor, tx = _system_session(_engine())
    with tx as session:
        data = grid_files.export_grids(session, actor, area, micro)
    text = json.dumps(data, ensure_ascii=False)
    if str(output) == "-":
        sys.stdout.write(text + "\n")
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"已导出 {len(data['features'])} 个要素到 {output}")


@audit_app.command("verify")
def audit_verify() -> None:
    """Walk the hash chain; name the first tampered row."""
    from zhili.auth import audit
    from zhili.db import make_sessionmaker, transaction

    with transaction(make_sessionmaker(_engine())) as session:
        result = audit.verify(session)
    if result.ok:
        console.print(f"审计链完整：已校验 {result.checked} 条")
        return
    console.print(f"[red]审计链校验失败：{result.reason}（已通过 {result.checked} 条）[/red]")
    raise typer.Exit(1)


@audit_app.command("purge")
def audit_purge(days: int = typer.Option(None, help="retention in days (>= 184); default from settings")) -> None:
    """Delete audit rows older than the retention period (the chain's anchor moves with them)."""
    from zhili.auth import audit

    settings = get_settings()
    keep = days if days is not None else settings.audit_retention_days
    if keep < 184:
        raise typer.BadParameter("审计日志至少保留 184 天", param_hint="--days")
    _, tx = _system_session(_engine())
    with tx as session:
        n = audit.purge(session, keep)
    console.print(f"已清除 {n} 条超过 {keep} 天的审计记录")


@brain_app.command("train-classifier")
def brain_train(method: str = typer.Option("char13-svm", help="特征与学习器（见 BENCHMARKS.md）"),
                activate: bool = typer.Option(True, help="训练后启用（样本达到 brain_min_training_cases 时）")) -> None:
    """Train a category suggestion model on the registered cases; print its version and scores."""
    from zhili.brain import service as brain_service
    from zhili.kit.errors import ZhiliError

    settings = get_settings()
    _, tx = _system_session(_engine())
    try:
        with tx as session:
            out = brain_service.train(session, settings, method=method, activate=activate, by="cli")
    except ZhiliError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(2) from exc
    if out.model is None:
        console.print(f"[red]未训练：{out.reason}[/red]")
        raise typer.Exit(1)
    m, info = out.model, out.trained_on
    console.print(f"模型 v{m.version}（{m.method}）：样本 {info['samples']} 件，{info['classes']} 个分类，"
                  f"数据 {(info.get('from') or '')[:10]} ~ {(info.get('to') or '')[:10]}，训练 {info['train_seconds']} 秒")
    if info["dropped_classes"]:
        console.print(f"样本少于 {info['min_per_class']} 件、交给关键词兜底的分类：{'、'.join(info['dropped_classes'])}")
    s = m.scores
    console.print(f"{s['folds']} 折交叉验证（{s['samples']} 件）：准确率 {s['accuracy']:.4f}，宏平均 F1 "
                  f"{s['macro_f1']:.4f}，前三命中 {s['top3_accuracy']:.4f}")
    console.print(f"已启用 v{m.version}" if out.activated else f"[yellow]未启用：{out.reason}[/yellow]")


@brain_app.command("evaluate-classifier")
def brain_evaluate(file: Path, text_col: list[str] = typer.Option(..., "--text-col", help="文本列，可重复"),
                   label_col: str = typer.Option(..., "--label-col", help="标签（分类）列"),
                   folds: int = typer.Option(5, "--folds", min=2, max=20),
                   method: str = typer.Option("char13-svm", help="特征与学习器"),
                   drop_rare: bool = typer.Option(False, "--drop-rare", help="去掉行数少于折数的类别而不是报错")) -> None:
    """Cross-validate the live suggestion code on a labelled csv/xlsx export: accuracy, macro-F1, per class."""
    from zhili.brain import classifier
    from zhili.brain.dataset import read_labelled

    if method not in classifier.METHODS:
        console.print(f"[red]未知的方法：{method}（可选：{'、'.join(classifier.METHODS)}）[/red]")
        raise typer.Exit(2)
    try:
        data = read_labelled(file, text_col, label_col)
        texts, labels = data.texts, data.labels
        dropped: list[str] = []
        if drop_rare:
            texts, labels, dropped = classifier.drop_rare(texts, labels, folds)
        ev, _ = classifier.cross_validate(texts, labels, method, folds)
    except classifier.ClassifierError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    console.print(f"{file.name}：{ev.samples} 行，{len(ev.classes)} 个类别，{folds} 折交叉验证，方法 {method}"
                  + (f"（跳过缺文本或标签的行 {data.skipped} 行）" if data.skipped else "")
                  + (f"（去掉行数不足的类别 {len(dropped)} 个）" if dropped else ""))
    console.print(f"accuracy 准确率 {ev.accuracy:.4f}")
    console.print(f"macro-F1 宏平均 F1 {ev.macro_f1:.4f}")
    console.print(f"top-3 前三命中 {ev.top3:.4f}")
    console.print(f"每折训练 {ev.train_seconds:.2f} 秒，预测 {ev.predict_ms:.3f} 毫秒/条")
    table = Table(title="各类别")
    for col in ("类别", "precision", "recall", "F1", "support"):
        table.add_column(col, justify="left" if col == "类别" else "right")
    for row in sorted(ev.per_class, key=lambda r: (-r["support"], r["label"])):
        table.add_row(row["label"], f"{row['precision']:.3f}", f"{row['recall']:.3f}", f"{row['f1']:.3f}",
                      str(row["support"]))
    console.print(table)


@report_app.command("indicators")
def report_indicators(
    start: str = typer.Option(..., "--from", help="开始日期 YYYY-MM-DD（北京时间，含）"),
    end: str = typer.Option(..., "--to", help="结束日期 YYYY-MM-DD（含）"),
    by: str | None = typer.Option(None, "--by", help="分组：department|street|community|grid|category|runway|channel|day|week|month"),
    fmt: str = typer.Option("table", "--format", help="table|json|csv（csv 为带 BOM 的 UTF-8，Excel 可直接打开）"),
) -> None:
    """Every standard indicator over a period (指标), whole district or per breakdown, to stdout."""
    from zhili.analysis.report import render_indicators
    from zhili.kit.errors import ZhiliError

    _, tx = _system_session(_engine())
    try:
        with tx as session:
            out = render_indicators(session, start, end, by, fmt, get_settings())
    except ZhiliError as exc:
        Console(stderr=True).print(f"[red]{exc.message}[/red]")
        raise typer.Exit(2) from exc
    if isinstance(out, str):
        sys.stdout.write(out)
    else:  # as wide as the table needs: a breakdown by month has 18 columns, wider than a pipe's 80
        from rich.measure import Measurement

        need = Measurement.get(console, console.options.update(width=10_000), out).maximum
        Console(width=max(console.width, need)).print(out)


@report_app.command("monthly")
def report_monthly(month: str = typer.Option(..., "--month", help="月份 YYYY-MM，如 2026-10"),
                   output: Path = typer.Option(Path("."), "--output", "-o", help="输出目录")) -> None:
    """The monthly report (月度报告) as xlsx and PDF; scores the month with every active scheme first if needed."""
    from zhili.assessment.reports import write_monthly
    from zhili.auth.actor import system_actor
    from zhili.kit.errors import ZhiliError

    _, tx = _system_session(_engine())
    try:
        with tx as session:
            paths = write_monthly(session, system_actor(), get_settings(), month, output)
    except ZhiliError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(2) from exc
    for path in paths:
        console.print(f"已生成 {path}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()

