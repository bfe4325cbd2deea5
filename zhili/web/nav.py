"""The three terminals' menus. An entry shows only to holders of its permission."""

from __future__ import annotations

from dataclasses import dataclass

from zhili.auth.actor import Actor

TERMINAL_LABEL = {"governance": "治理端", "operations": "运营端", "service": "服务端"}
TERMINAL_HOME = {"governance": "/gov", "operations": "/ops", "service": "/service"}


@dataclass(frozen=True)
class MenuItem:
    label: str
    href: str
    permission: str
    note: str = ""


MENUS: dict[str, tuple[MenuItem, ...]] = {
    "governance": (
        MenuItem("工作台", "/gov", "org.read"),
        MenuItem("网格地图", "/gov/map", "map.view", "全区镇街、社区与网格分布"),
        MenuItem("区划与网格", "/gov/org", "org.read", "行政区划树、网格与 1+3+N 队伍"),
        MenuItem("部门", "/gov/departments", "org.read", "职能部门与治理中心"),
        MenuItem("用户管理", "/gov/users", "users.manage", "辖区内账户、角色与辖区授权"),
        MenuItem("审计日志", "/gov/audit", "audit.read", "登录、权限与数据变更留痕"),
    ),
    "operations": (
        MenuItem("运营工作台", "/ops", "operations.use"),
        MenuItem("社区概况", "/ops/community", "org.read", "本社区网格与队伍"),
    ),
    "service": (
        MenuItem("我的社区", "/service", "service.use"),
        MenuItem("我的网格员", "/service/my-grid", "service.use", "本网格服务团队"),
    ),
}


def menu_for(actor: Actor, terminal: str) -> list[MenuItem]:
    return [m for m in MENUS.get(terminal, ()) if actor.can(m.permission)]


def home_for(actor: Actor) -> str:
    for terminal in actor.terminals:
        if menu_for(actor, terminal):
            return TERMINAL_HOME[terminal]
    return "/account"
