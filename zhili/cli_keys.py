"""`zhili keys init|status|rotate|retire`: the key file and rotation (see zhili/kit/keys.py and kit/rekey.py)."""

from __future__ import annotations

import time

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from sqlalchemy import Engine

from zhili.config import Settings, get_settings
from zhili.kit import crypto, keys, rekey
from zhili.kit.keys import KeyConfigError

keys_app = typer.Typer(help="加密密钥：生成、查看、轮换、停用", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]{message}[/red]")
    return typer.Exit(code)


def _ring(settings: Settings) -> keys.KeyRing:
    try:
        return crypto.configure_from(settings)
    except KeyConfigError as exc:
        raise _fail(exc.message) from exc


def _engine(settings: Settings) -> Engine:
    from zhili.db import make_engine

    return make_engine(settings.database_url)


def _audit(engine: Engine, action: str, detail: dict[str, object]) -> None:
    from zhili.auth import audit
    from zhili.auth.actor import system_actor
    from zhili.db import make_sessionmaker, transaction

    with transaction(make_sessionmaker(engine), info={"actor": system_actor(), "ip": "cli"}) as session:
        audit.record(session, action, entity_type="key", detail=detail)


def ensure_key(settings: Settings) -> str | None:
    """For `zhili demo` and `make`: create the key file when no key is configured at all; None if one was."""
    try:
        keys.load(settings.secret_key, settings.var_dir, settings.key_file)
        return None
    except KeyConfigError:
        path = keys.key_file_path(settings.var_dir, settings.key_file)
        if settings.secret_key or path.exists() or (settings.var_dir / "secret.key").exists():
            raise  # a key is there but broken: never put another one beside it
    keys.init_file(path)
    return str(path)


@keys_app.command("init")
def init(if_missing: bool = typer.Option(False, "--if-missing", help="已有密钥（文件或 ZHILI_SECRET_KEY）时什么也不做")) -> None:
    """Create the key file (mode 0600); an existing ZHILI_SECRET_KEY or var/secret.key is imported as k0."""
    settings = get_settings()
    path = keys.key_file_path(settings.var_dir, settings.key_file)
    if if_missing:
        try:
            created = ensure_key(settings)
        except KeyConfigError as exc:
            raise _fail(exc.message) from exc
        console.print(f"已生成密钥文件 {created}（权限 0600），请妥善备份" if created else "已配置密钥，未做改动")
        return
    old = settings.var_dir / "secret.key"
    try:
        legacy = keys.legacy_ring(settings.secret_key) if settings.secret_key else \
            keys.legacy_ring(old.read_text(encoding="ascii")) if old.exists() else None
        ring = keys.init_file(path, legacy)
    except (KeyConfigError, OSError, UnicodeDecodeError) as exc:
        raise _fail(getattr(exc, "message", str(exc)), 1) from exc
    how = "已导入现有密钥为 k0（盲索引不变）" if legacy else f"当前密钥 {ring.current}"
    console.print(f"已生成密钥文件 {path}（权限 0600）：{how}。请妥善备份：丢失密钥即无法解密已加密的个人信息。")


@keys_app.command("status")
def status() -> None:
    """Current key, keys in the ring, and how many stored values use each key, per column."""
    from zhili.models import metadata

    settings = get_settings()
    ring = _ring(settings)
    source = str(ring.path) if ring.path else "ZHILI_SECRET_KEY / secret.key（单一旧密钥）"
    console.print(f"密钥来源：{source}")
    console.print(f"当前密钥：{ring.current}；全部密钥：{'、'.join(sorted(ring.keys) + sorted(ring.extra))}"
                  f"；盲索引密钥指纹 {ring.index_fingerprint}（不随轮换变化）")
    if ring.rotating:
        console.print(f"[yellow]轮换到 {ring.rotating} 尚未完成：再次运行 zhili keys rotate 继续[/yellow]")
    engine = _engine(settings)
    try:
        with engine.connect() as conn:
            found = rekey.counts(conn, metadata)
    finally:
        engine.dispose()
    kids = sorted({k for per in found.values() for k in per} | set(ring.keys))
    table = Table(title="各密钥加密的值（按表、列）")
    table.add_column("表.列")
    for kid in kids:
        table.add_column(kid + ("（当前）" if kid == ring.current else ""), justify="right")
    for (tname, col), per in sorted(found.items()):
        table.add_row(f"{tname}.{col}", *(f"{per.get(k, 0):,}" for k in kids))
    console.print(table)


@keys_app.command("rotate")
def rotate(batch: int = typer.Option(2000, "--batch", min=1, max=100_000, help="每批（一个事务）的行数"),
           wait: float = typer.Option(crypto.RELOAD_SECONDS + 2, "--wait", min=0,
                                      help="新密钥生效后等待运行中的进程读取它的秒数")) -> None:
    """Add a key, make it current, re-encrypt every encrypted column in batches; a re-run resumes."""
    from zhili.models import metadata

    settings = get_settings()
    ring = _ring(settings)
    path = ring.path
    if path is None:
        raise _fail("轮换需要密钥文件：请先运行 `zhili keys init`（会把现有 ZHILI_SECRET_KEY 导入为 k0），再轮换。")
    try:
        if ring.rotating and ring.rotating == ring.current:
            console.print(f"继续未完成的轮换：目标密钥 {ring.current}")
        else:
            keys.add_key(path)
            ring = _ring(settings)
            console.print(f"已添加密钥 {ring.current} 并设为当前密钥")
    except KeyConfigError as exc:
        raise _fail(exc.message) from exc
    if wait:
        console.print(f"等待 {wait:g} 秒，让运行中的服务读取新密钥 ...")
        time.sleep(wait)
    engine = _engine(settings)
    try:
        with engine.connect() as conn:
            todo = rekey.pending(conn, metadata, ring.current)
        started = time.perf_counter()
        with Progress(TextColumn("重新加密 {task.fields[table]}"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("{task.fields[rate]} 行/秒"), TimeElapsedColumn(), TimeRemainingColumn(),
                      console=console) as bar:
            task = bar.add_task("rekey", total=sum(todo.values()), table="", rate="-")

            def progress(table: str, rows: int) -> None:
                bar.advance(task, rows)
                done = bar.tasks[0].completed
                bar.update(task, table=table, rate=f"{done / max(time.perf_counter() - started, 1e-6):,.0f}")

            result = rekey.reencrypt(engine, metadata, ring.current, batch, progress)
        seconds = time.perf_counter() - started
        with engine.connect() as conn:
            left = sum(rekey.pending(conn, metadata, ring.current).values())
        if not left:
            keys.finish_rotation(path)
        _audit(engine, "keys.rotate", {"kid": ring.current, "rows": result.rows, "values": result.values,
                                       "left": left, "errors": result.errors})
    finally:
        engine.dispose()
    rate = result.rows / seconds if seconds else 0.0
    console.print(f"已重新加密 {result.values:,} 个值（{result.rows:,} 行，{seconds:.1f} 秒，{rate:,.0f} 行/秒），"
                  f"当前密钥 {ring.current}")
    for where, n in sorted(result.errors.items()):
        console.print(f"[red]{where}：{n} 个值无法解密，保持原样（请检查密钥文件）[/red]")
    if left:
        console.print(f"[yellow]仍有 {left:,} 行含旧密钥的值（运行中的服务可能刚写入）：请再次运行 zhili keys rotate[/yellow]")
        raise typer.Exit(1)
    console.print("轮换完成。旧密钥可用 `zhili keys retire KID` 停用。")


@keys_app.command("retire")
def retire(kid: str) -> None:
    """Remove a key from the key file; refused while any stored value still uses it."""
    from zhili.models import metadata

    settings = get_settings()
    ring = _ring(settings)
    if ring.path is None:
        raise _fail("停用密钥需要密钥文件（zhili keys init）")
    if kid not in ring.keys:
        raise _fail(f"密钥文件中没有密钥 {kid}", 1)
    if kid == ring.current:
        raise _fail(f"{kid} 是当前密钥，不能停用；请先运行 zhili keys rotate", 1)
    engine = _engine(settings)
    try:
        with engine.connect() as conn:
            used = rekey.uses(conn, metadata, kid)
        if used:
            where = "、".join(f"{t}.{c} {n:,} 个" for (t, c), n in sorted(used.items()))
            raise _fail(f"密钥 {kid} 仍在使用（{where}），不能停用：请先运行 zhili keys rotate 完成重新加密", 1)
        keys.remove_key(ring.path, kid)
        _audit(engine, "keys.retire", {"kid": kid})
    except KeyConfigError as exc:
        raise _fail(exc.message, 1) from exc
    finally:
        engine.dispose()
    console.print(f"已停用密钥 {kid}")
