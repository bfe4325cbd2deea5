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
    permission: str  # one permission, or several joined by "|" (any of them shows the entry)
    note: str = ""


MENUS: dict[str, tuple[MenuItem, ...]] = {
    "governance": (
        MenuItem("工作台", "/gov", "org.read"),
        MenuItem("案件工作台", "/gov/cases", "cases.read", "案件队列、超期预警与在办案件分布"),
        MenuItem("12345受理", "/gov/cases/new", "cases.dispatch", "热线来电登记：受理、立案并派遣"),
        MenuItem("部门待办", "/gov/inbox", "cases.handle", "本部门待签收、处置中的案件与督办"),
        MenuItem("督办与延期", "/gov/supervision", "cases.supervise", "督办单跟踪与延期申请审批"),
        MenuItem("网格上报", "/gov/grid/report", "cases.intake", "拍照定位上报，小事就地处置"),
        MenuItem("我的任务", "/gov/grid/tasks", "cases.verify", "待现场核查的案件与我的上报"),
        MenuItem("运行监测", "/gov/monitor", "analysis.view", "实时受理、在办、预警与超期，在办案件分布与趋势"),
        MenuItem("领导驾驶舱", "/gov/cockpit", "cockpit.view", "全屏大屏：实时指标、案件热力、趋势与预警"),
        MenuItem("人口房屋", "/gov/registry", "registry.read", "辖区内的人、房、车、场所：查询、档案与关联案件"),
        MenuItem("信息核查", "/gov/registry/tasks", "registry.verify", "待现场核查的过期、冲突与不完整信息（手机）"),
        MenuItem("数据质量", "/gov/registry/quality", "registry.read", "完整率、有效率、匹配率、冲突与鲜活度，按区域与网格"),
        MenuItem("匹配审核", "/gov/registry/reviews", "registry.manage", "多源数据疑似同一人/同一房屋的人工确认"),
        MenuItem("数据反哺", "/gov/registry/feedback", "registry.manage|registry.feedback",
                 "核查更正按主管部门成批推送、签收与采纳"),
        MenuItem("批量导出", "/gov/registry/exports", "registry.export|registry.approve", "含个人信息的导出：申请与他人审批"),
        MenuItem("网格地图", "/gov/map", "map.view", "全区镇街、社区与网格分布"),
        MenuItem("区划与网格", "/gov/org", "org.read", "行政区划树、网格与 1+3+N 队伍"),
        MenuItem("部门", "/gov/departments", "org.read", "职能部门与治理中心"),
        MenuItem("用户管理", "/gov/users", "users.manage", "辖区内账户、角色与辖区授权"),
        MenuItem("Open311 接入", "/gov/open311", "users.manage", "GeoReport v2 客户端应用登记与 api_key 签发"),
        MenuItem("审计日志", "/gov/audit", "audit.read", "登录、权限与数据变更留痕"),
        MenuItem("事项分类", "/gov/taxonomy", "taxonomy.manage", "部件、事件与治理事项，立案结案标准与处置时限"),
        MenuItem("权责清单", "/gov/responsibility", "taxonomy.manage", "事项在各区划的责任部门，缺口与冲突检查"),
        MenuItem("工作日历", "/gov/calendar", "calendar.manage", "法定节假日与调休，案件期限据此计算"),
        MenuItem("智能分类", "/gov/brain", "brain.manage", "事项分类建议模型：版本、评分与采纳率"),
        MenuItem("指标分析", "/gov/indicators", "analysis.view", "受理、立案、按期、结案、满意率与处置时长，按区域、部门、分类、时段"),
        MenuItem("指标口径", "/gov/indicators/definitions", "analysis.view", "每项指标的计算公式与统计范围"),
        MenuItem("督查考核", "/gov/assessment", "assessment.view", "考核方案、月度评分与排名、月报下载"),
        MenuItem("热点分析", "/gov/insight/hotspots", "analysis.view", "网格激增、高发点位聚集与重复地址"),
        MenuItem("趋势与预测", "/gov/insight/forecasts", "analysis.view", "周与季节规律，未来 7/30 天案件量预测与回测"),
        MenuItem("异常预警", "/gov/insight/alerts", "analysis.view", "案件量超出预测区间的事项、街道与网格"),
    ),
    "operations": (
        MenuItem("运营工作台", "/ops", "operations.use"),
        MenuItem("社区概况", "/ops/community", "org.read", "本社区网格与队伍"),
    ),
    "service": (
        MenuItem("我的社区", "/service", "service.use"),
        MenuItem("我的网格员", "/service/my-grid", "service.use", "本网格服务团队"),
        MenuItem("我的诉求", "/service/cases", "cases.report", "我反映的问题与办理进度"),
        MenuItem("我要反映", "/service/cases/new", "cases.report", "拍照定位，反映身边的问题"),
    ),
}


def menu_for(actor: Actor, terminal: str) -> list[MenuItem]:
    return [m for m in MENUS.get(terminal, ()) if any(actor.can(p) for p in m.permission.split("|"))]


def home_for(actor: Actor) -> str:
    for terminal in actor.terminals:
        if menu_for(actor, terminal):
            return TERMINAL_HOME[terminal]
    return "/account"
