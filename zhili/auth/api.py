"""Auth JSON routes: tokens, who am I, unlock, audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from zhili.auth import audit, repository, service
from zhili.auth.deps import CurrentActor
from zhili.auth.schemas import AuditRead, AuditVerifyRead, MeRead, ScopeRead, TokenRead, TokenRequest
from zhili.kit.errors import Unauthenticated, ValidationFailed
from zhili.kit.pagination import MAX_ID
from zhili.web.deps import AppSettings, DbSession

router = APIRouter(prefix="/api", tags=["auth"])


@router.post("/auth/token", response_model=TokenRead, status_code=201,
             responses={401: {"description": "bad credentials"}, 423: {"description": "locked"}})
def issue_token(body: TokenRequest, session: DbSession, settings: AppSettings) -> TokenRead:
    user = service.authenticate(session, body.username, body.password, settings)
    if service.needs_mfa(session, user):
        if not user.totp_confirmed:
            raise Unauthenticated("该账户须先在网页登录时设置动态口令", field="totp_code", code="mfa_enrolment")
        if not body.totp_code:
            raise ValidationFailed("该账户须提供动态口令", field="totp_code")
        service.check_totp(session, user, body.totp_code)
    token, row = service.issue_api_token(session, user, settings, body.name)
    return TokenRead(access_token=token, expires_at=row.expires_at)


@router.delete("/auth/token", status_code=204)
def revoke_token(request: Request, actor: CurrentActor, session: DbSession) -> Response:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        raise ValidationFailed("只能注销 Bearer 令牌", field="authorization")
    service.revoke_api_token(session, token.strip())
    return Response(status_code=204)


@router.get("/auth/me", response_model=MeRead)
def me(actor: CurrentActor, session: DbSession) -> MeRead:
    scopes = [ScopeRead(area_path=s.area_path, department_id=s.department_id, grid_id=s.grid_id)
              for s in repository.user_scopes(session, actor.user_id)]
    return MeRead(id=actor.user_id, username=actor.username, display_name=actor.display_name,
                  roles=sorted(actor.roles), permissions=sorted(actor.permissions),
                  terminals=list(actor.terminals), scopes=scopes)


@router.post("/auth/users/{user_id}/unlock", status_code=204)
def unlock(user_id: Annotated[int, Path(ge=1, le=MAX_ID)], actor: CurrentActor, session: DbSession) -> Response:
    service.unlock_user(session, actor, user_id)
    return Response(status_code=204)


@router.get("/audit", response_model=list[AuditRead])
def audit_log(
    actor: CurrentActor, session: DbSession, before: int | None = Query(default=None, ge=1, le=2**63 - 1),
    limit: int = Query(default=50, ge=1, le=500), action: str | None = Query(default=None, max_length=64),
) -> list[AuditRead]:
    actor.require("audit.read")
    rows = repository.audit_page(session, before_seq=before, limit=limit, action=action)
    return [AuditRead.model_validate(r, from_attributes=True) for r in rows]


@router.get("/audit/verify", response_model=AuditVerifyRead)
def audit_verify(actor: CurrentActor, session: DbSession) -> AuditVerifyRead:
    actor.require("audit.read")
    result = audit.verify(session)
    return AuditVerifyRead(ok=result.ok, checked=result.checked, bad_seq=result.bad_seq, reason=result.reason)
