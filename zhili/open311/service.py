"""Use cases of the Open311 endpoint and of its administration. Nothing here commits.

Filing goes through the closed loop's own `cases.service.intake` (channel open311) as a service actor standing
for the client application: it may take in cases and nothing else, and reads only what repository.py makes
public. Every check on a POST runs before intake, and any failure rolls the whole request back, so a refused
request leaves nothing behind.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy.orm import Session

from zhili.addresses import service as addresses
from zhili.auth import audit
from zhili.auth.actor import Actor
from zhili.cases import service as cases
from zhili.cases.models import CaseStatus
from zhili.cases.schemas import IntakeIn
from zhili.config import Settings
from zhili.kit import clock
from zhili.kit.crypto import sm3
from zhili.kit.errors import NotFound, ValidationFailed, ZhiliError
from zhili.open311 import repository as repo
from zhili.open311 import rules
from zhili.open311.models import Open311Client, Open311Request, ServiceAttribute
from zhili.org import service as org_service
from zhili.taxonomy.models import LIMIT_UNIT_LABEL, Category

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-29T00:00:00+08:00"  # when this endpoint's shape last changed
KEY_PREFIX = "o311_"
_PHONE_OK = re.compile(r"^[0-9+\-() ]{5,20}$")
_URL_OK = re.compile(r"^https?://[^\s<>\"]{1,990}$")
PUBLIC_NOTES = {
    "intake": "已受理，等待立案", "register": "已立案，等待派遣", "reject": "不予立案", "dispatch": "已派遣至责任部门",
    "acknowledge": "责任部门已签收，正在处置", "reply": "责任部门已处置，等待核查", "verify_ok": "核查通过，已办结",
    "verify_fail": "核查未通过，重新处置", "self_handle": "网格员已现场处置，已办结", "merge": "已与其他诉求合并办理",
    "master_closed": "合并办理的诉求已办结", "reopen": "回访不满意，重新办理", "suspend": "暂停办理",
    "resume": "恢复办理", "rate": "已回访",
}
NOTE_REASONS = {"reject", "reply", "verify_ok", "self_handle", "master_closed"}


class Open311Error(ZhiliError):
    """An error in the specification's terms: 403 for the api key, 404 for what does not exist, 400 otherwise."""

    code = "open311"

    def __init__(self, description: str, status: int = 400, **kwargs: Any) -> None:
        super().__init__(description, **kwargs)
        self.status_code = status


def _fail(exc: rules.RuleError) -> Open311Error:
    return Open311Error(exc.description, exc.status)


# ---- clients and keys (administration) --------------------------------------------------------------------------

def _admin(actor: Actor) -> None:
    actor.require("users.manage")


def list_clients(session: Session, actor: Actor) -> list[dict[str, Any]]:
    _admin(actor)
    counts = repo.request_counts(session)
    return [{"id": c.id, "name": c.name, "contact": rules.mask_text(c.contact), "key_prefix": c.key_prefix, "active": c.active,
             "created_at": c.created_at, "last_used_at": c.last_used_at, "requests": counts.get(c.id, 0)}
            for c in repo.clients(session)]


def create_client(session: Session, actor: Actor, name: str, contact: str) -> tuple[Open311Client, str]:
    """Register a client application and issue its api key. The key is returned here once; only its SM3 hash
    is kept, so a lost key is replaced by registering again, never recovered."""
    _admin(actor)
    name, contact = name.strip(), contact.strip()
    if not (2 <= len(name) <= 64):
        raise ValidationFailed("应用名称应为 2-64 个字符", field="name")
    if len(contact) > 200:
        raise ValidationFailed("联系方式不超过 200 个字符", field="contact")
    if repo.client_by_name(session, name) is not None:
        raise ValidationFailed(f"已有名为“{name}”的应用", field="name")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    client = Open311Client(name=name, contact=contact, key_hash=sm3(key.encode()), key_prefix=key[:12],
                           active=True, created_by=actor.user_id or None, created_at=clock.now())
    repo.add(session, client)
    audit.record(session, "open311.key_issued", entity_type="open311_clients", entity_id=client.id,
                 detail={"name": name})
    return client, key


def deactivate_client(session: Session, actor: Actor, client_id: int) -> Open311Client:
    _admin(actor)
    client = repo.client_by_id(session, client_id)
    if client is None:
        raise NotFound("应用不存在", field="client_id")
    if client.active:
        client.active = False
        client.deactivated_at = clock.now()
        session.flush()
    return client


def authenticate(session: Session, api_key: str | None) -> Open311Client:
    """The client an api key belongs to; 403 (audited) for a missing, unknown or deactivated key."""
    if not api_key:
        raise Open311Error("缺少 api_key：提交诉求需要管理员签发给已登记客户端应用的 api_key", 403)
    client = repo.client_by_key_hash(session, sm3(api_key.strip().encode())) if len(api_key) <= 200 else None
    if client is None or not client.active:

        def persist(s: Session) -> None:
            audit.record(s, "open311.bad_key", detail={"client_id": client.id if client else None},
                         actor_name="open311")

        raise Open311Error("api_key 无效或已停用", 403, on_rollback=persist)
    now = clock.now()
    repo.touch_client(session, client.id, now, now - timedelta(minutes=1))
    return client


def client_actor(client: Open311Client) -> Actor:
    """The service actor of a client application: it may take in cases (channel open311) and has no read scope,
    so the cases service shows it nothing; the audit log names the client."""
    return Actor(user_id=0, username=f"open311:{client.id}", display_name=f"Open311·{client.name}"[:64],
                 permissions=frozenset({"cases.intake"}), via="open311")


# ---- discovery, services, definitions ---------------------------------------------------------------------------

def discovery(settings: Settings, base_url: str) -> dict[str, Any]:
    return {
        "changeset": CHANGESET,
        "contact": f"{settings.district_name}社会治理中心（12345 政务服务便民热线）",
        "key_service": "api_key 由系统管理员在治理端“Open311 接入”页面为登记的客户端应用签发",
        "endpoints": [{"specification": SPECIFICATION, "url": base_url.rstrip("/") + "/open311/v2",
                       "changeset": CHANGESET, "type": "production",
                       "formats": ["text/xml", "application/json"]}],
    }


def services(session: Session) -> list[dict[str, Any]]:
    rows = repo.public_services(session)
    attrs = repo.attributes_of(session, [c.id for c, _ in rows])
    return [{"service_code": c.code, "service_name": c.name, "description": c.register_criteria,
             "metadata": bool(attrs[c.id]), "type": "realtime", "keywords": c.keywords.replace("，", ","),
             "group": group} for c, group in rows]


def _service_or_404(session: Session, code: str) -> Category:
    category = repo.public_service(session, code) if 0 < len(code) <= 20 else None
    if category is None:
        raise Open311Error(f"service_code {code[:20]} 不存在", 404)
    return category


def _attribute(a: ServiceAttribute) -> dict[str, Any]:
    return {"variable": a.variable, "code": a.code, "datatype": a.datatype, "required": a.required,
            "datatype_description": a.datatype_description or None, "order": a.position,
            "description": a.description,
            "values": [{"key": str(v["key"]), "name": v["name"]} for v in (a.values or [])]}


def definition(session: Session, code: str) -> dict[str, Any]:
    category = _service_or_404(session, code)
    attrs = repo.attributes_of(session, [category.id])[category.id]
    return {"service_code": category.code, "attributes": [_attribute(a) for a in attrs]}


# ---- POST a service request -------------------------------------------------------------------------------------

def _one(form: Mapping[str, list[str]], name: str, max_len: int) -> str | None:
    values = form.get(name) or []
    if len(values) > 1:
        raise Open311Error(f"{name} 只能提供一次")
    value = values[0].strip() if values else ""
    if len(value) > max_len:
        raise Open311Error(f"{name} 过长：不超过 {max_len} 个字符")
    return value or None


def _attributes_given(form: Mapping[str, list[str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, values in form.items():
        m = re.fullmatch(r"attribute\[([^\[\]]{1,32})\](\[\])?", key)
        if m:
            out.setdefault(m.group(1), []).extend(values)
        elif key.startswith("attribute"):
            raise Open311Error(f"属性参数格式错误：{key[:40]}，应为 attribute[code]=value")
    return out


def _place(session: Session, settings: Settings,
           form: Mapping[str, list[str]]) -> tuple[float, float, str, str | None]:
    """(lon, lat, address text, standard address id) from lat/long, else address_string (matched against the
    standard addresses), else address_id; the point must lie inside the district."""
    lat_s, lon_s = _one(form, "lat", 40), _one(form, "long", 40)
    address_string = _one(form, "address_string", 200)
    address_id = _one(form, "address_id", 64)
    address = address_string or ""
    refresh = settings.geo_refresh_seconds
    if lat_s is not None or lon_s is not None:
        if lat_s is None or lon_s is None:
            raise Open311Error("lat 与 long 须同时提供")
        try:
            lat, lon = float(lat_s), float(lon_s)
        except ValueError:
            raise Open311Error("lat/long 应为 WGS84 经纬度数字") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise Open311Error("lat 应在 -90 到 90 之间，long 应在 -180 到 180 之间")
    elif address_string is not None:
        match = addresses.resolve(session, address_string, refresh)
        if not match.matched or match.lon is None or match.lat is None:
            raise Open311Error(f"address_string 无法定位：{match.message}")
        lon, lat, address = match.lon, match.lat, match.normalized or address_string
        if match.standard_address_id is not None:
            address_id = str(match.standard_address_id)
    elif address_id is not None:
        found = addresses.address_by_id(session, int(address_id), refresh) if address_id.isdigit() \
            and len(address_id) <= 9 else None
        if found is None or not found.active:
            raise Open311Error(f"address_id {address_id} 不存在")
        lon, lat, address = found.lon, found.lat, found.full_text
    else:
        raise Open311Error("缺少位置：请提供 lat 与 long、address_string 或 address_id 之一")
    if org_service.locate(session, lon, lat, refresh) is None:
        raise Open311Error(f"位置不在{settings.district_name}范围内")
    return lon, lat, address[:200], address_id


def _notice(category: Category, number: str) -> str:
    limit = ""
    if category.limit_normal is not None and category.limit_unit is not None:
        limit = f"，派遣后一般在 {category.limit_normal:g} {LIMIT_UNIT_LABEL[category.limit_unit]}内处置"
    return f"已受理，编号 {number}{limit}。可凭编号查询办理进度。"


def file_request(session: Session, settings: Settings, form: Mapping[str, list[str]]) -> list[dict[str, Any]]:
    """POST requests: check everything, then one case through the closed loop's intake, and its Open311 row."""
    if any("\x00" in v for values in form.values() for v in values):
        raise Open311Error("提交内容含有不允许的控制字符")
    client = authenticate(session, _one(form, "api_key", 200))
    code = _one(form, "service_code", 20)
    if code is None:
        raise Open311Error("缺少 service_code")
    category = _service_or_404(session, code)
    description = (form.get("description") or [""])[0].strip()
    if not description:
        raise Open311Error("description 不能为空：请描述问题")
    if len(description) > rules.MAX_DESCRIPTION:
        raise Open311Error(f"description 不超过 {rules.MAX_DESCRIPTION} 个字符（当前 {len(description)}）")
    media_url = _one(form, "media_url", 1000)
    if media_url is not None and not _URL_OK.match(media_url):
        raise Open311Error("media_url 应为 http(s) 地址")
    phone = _one(form, "phone", 20)
    if phone is not None and not _PHONE_OK.match(phone):
        raise Open311Error("phone 格式错误")
    email = _one(form, "email", 200)
    if email is not None and "@" not in email:
        raise Open311Error("email 格式错误")
    first, last = _one(form, "first_name", 50), _one(form, "last_name", 50)
    account_id, device_id = _one(form, "account_id", 100), _one(form, "device_id", 200)
    specs = [rules.AttributeSpec(a.code, a.datatype, a.required, a.variable, a.values or [], a.description)
             for a in repo.attributes_of(session, [category.id])[category.id]]
    try:
        answers = rules.check_attributes(specs, _attributes_given(form))
    except rules.RuleError as exc:
        raise _fail(exc) from None
    lon, lat, address, address_id = _place(session, settings, form)
    name = "".join(p for p in (last, first) if p) or None
    title = f"{category.name}：{description.splitlines()[0]}"[:100]
    try:
        data = IntakeIn(title=title, description=description, category=category.code, lon=lon, lat=lat,
                        address=address, channel="open311", caller_name=name[:32] if name else None,
                        caller_phone=phone)
    except ValidationError as exc:
        raise Open311Error(f"提交内容有误：{exc.errors()[0].get('msg', '')}") from None
    actor = client_actor(client)
    session.info["actor"] = actor
    case, _ = cases.intake(cases.Ctx(session, actor, settings), data)
    token = str(uuid.uuid4())
    repo.add(session, Open311Request(
        case_id=case.id, token=token, client_id=client.id, attributes=answers or None, media_url=media_url,
        address_id=address_id, account_id=account_id, device_id=device_id, email=email,
        first_name=first, last_name=last, phone=phone, created_at=case.received_at))
    return [{"service_request_id": case.number, "token": token, "service_notice": _notice(category, case.number),
             "account_id": account_id}]


# ---- reading: tokens, one request, many -------------------------------------------------------------------------

def token(session: Session, value: str) -> list[dict[str, Any]]:
    row = repo.public_request_by_token(session, value) if 0 < len(value) <= 36 else None
    if row is None:
        raise Open311Error(f"token {value[:36]} 不存在", 404)
    return [{"service_request_id": row[0].number, "token": row[1].token}]


def _w3c(moment: datetime | None, tz: ZoneInfo) -> str | None:
    return moment.astimezone(tz).isoformat(timespec="seconds") if moment else None


def _rows(session: Session, settings: Settings,
          rows: list[tuple[Any, Open311Request, Category]]) -> list[dict[str, Any]]:
    tz = ZoneInfo(settings.timezone)
    ids = [c.id for c, _, _ in rows]
    events = repo.latest_events(session, ids, list(PUBLIC_NOTES))
    masters = repo.case_numbers(session, [c.master_id for c, _, _ in rows if c.master_id])
    depts = org_service.department_refs(session, {c.department_id for c, _, _ in rows if c.department_id})
    out = []
    for case, o311, category in rows:
        status = rules.status_of(case.status.value)
        out.append({
            "service_request_id": case.number, "status": status,
            "status_notes": _note(case, events.get(case.id), masters),
            "service_name": category.name, "service_code": category.code,
            "description": rules.mask_text(case.description, _names(o311)),
            "agency_responsible": depts[case.department_id][1] if case.department_id in depts else None,
            "service_notice": None,
            "requested_datetime": _w3c(case.received_at, tz),
            "updated_datetime": _w3c(case.closed_at if status == "closed" and case.closed_at else case.updated_at,
                                     tz),
            "expected_datetime": _w3c(case.deadline_at, tz),
            "address": case.address or None, "address_id": o311.address_id, "zipcode": None,
            "lat": case.lat, "long": case.lon, "media_url": o311.media_url,
        })
    return out


def _names(o311: Open311Request) -> list[str | None]:
    full = "".join(p for p in (o311.last_name, o311.first_name) if p)
    return [full, o311.first_name, o311.last_name]


def _note(case: Any, event: Any, masters: dict[int, str]) -> str | None:
    if case.status == CaseStatus.merged and case.master_id in masters:
        return f"已与诉求 {masters[case.master_id]} 合并办理，办理结果以该诉求为准"
    if event is None:
        return None
    note = PUBLIC_NOTES[event.action]
    if event.action in NOTE_REASONS and event.reason:
        note += "：" + rules.mask_text(event.reason)[:500]
    return note


def get_request(session: Session, settings: Settings, number: str) -> list[dict[str, Any]]:
    rows = repo.public_requests(session, numbers=[number]) if 0 < len(number) <= 24 else []
    if not rows:
        raise Open311Error(f"service_request_id {number[:24]} 不存在", 404)
    return _rows(session, settings, rows)


def list_requests(session: Session, settings: Settings, args: Mapping[str, str]) -> list[dict[str, Any]]:
    """GET requests: by id list (overrides the rest), else by service codes, statuses and a date window of at
    most 90 days (the last 90 by default), newest first, at most 1,000 a page."""
    try:
        numbers = rules.split_list(args.get("service_request_id"), "service_request_id", max_len=24)
        codes = rules.split_list(args.get("service_code"), "service_code", max_len=20)
        wanted = rules.split_list(args.get("status"), "status", max_len=10)
        page, size = rules.page_args(args.get("page"), args.get("page_size"))
        if numbers:
            rows = repo.public_requests(session, numbers=numbers, limit=rules.MAX_PAGE_SIZE)
            return _rows(session, settings, rows)
        bad = [s for s in wanted if s not in ("open", "closed")]
        if bad:
            raise rules.RuleError(f"status 只能是 open 或 closed，收到“{bad[0]}”")
        since, until = rules.date_window(args.get("start_date"), args.get("end_date"), clock.now())
    except rules.RuleError as exc:
        raise _fail(exc) from None
    statuses = [s for s in CaseStatus if rules.status_of(s.value) in wanted] if wanted else []
    rows = repo.public_requests(session, codes=codes, statuses=statuses, since=since, until=until,
                                offset=(page - 1) * size, limit=size)
    return _rows(session, settings, rows)

