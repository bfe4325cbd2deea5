"""The built-in permissions and roles. They are data: `zhili db upgrade` seeds them (idempotently) and an
administrator may add roles; code checks permissions, never role names."""

from __future__ import annotations

PERMISSIONS: dict[str, str] = {
    "org.read": "查看区划、网格与部门",
    "org.manage": "维护区划、网格、部门与网格队伍",
    "staff.read": "查看人员与网格队伍",
    "pii.reveal": "查看未脱敏的个人信息（须填写理由，记入审计）",
    "users.manage": "管理用户、角色与辖区",
    "audit.read": "查看审计日志",
    "map.view": "查看网格地图",
    "cockpit.view": "查看领导驾驶舱",
    "service.use": "使用居民服务端",
    "operations.use": "使用社区运营端",
    "cases.read": "查看辖区内的案件",
    "cases.intake": "受理登记案件(12345、网格上报)",
    "cases.dispatch": "立案、派遣、并案、上报上级",
    "cases.handle": "签收、处置反馈、退回、申请延期、回复督办",
    "cases.verify": "核查处置结果",
    "cases.supervise": "督办、审批延期、挂起与恢复",
    "cases.followup": "回访与满意度",
    "cases.report": "居民上报与评价自己的诉求",
    "taxonomy.manage": "维护事项分类与权责清单",
    "calendar.manage": "维护工作日历(节假日与调休)",
    "brain.manage": "管理智能模型(训练版本、启用与采纳率)",
    "analysis.view": "查看运行监测、指标与分析研判(限辖区)",
    "assessment.view": "查看考核评分、排名与月报(限辖区)",
    "assessment.manage": "维护考核方案、计算评分与生成月报",
    "registry.read": "查看辖区内的人口、房屋、车辆与场所(部门只看本部门主管的字段)",
    "registry.verify": "现场核查与更正人口、房屋、车辆与场所信息",
    "registry.manage": "导入部门数据、审核匹配、生成数据反哺批次",
    "registry.feedback": "接收本部门的数据反哺批次(签收、采纳)",
    "registry.export": "申请批量导出含个人信息的数据(须他人审批)",
    "registry.approve": "审批他人的批量导出申请",
}

# code: (name, terminal, requires_mfa, permissions)
ROLES: dict[str, tuple[str, str, bool, tuple[str, ...]]] = {
    "admin": ("系统管理员", "governance", True, tuple(PERMISSIONS)),
    "center_leader": ("治理中心领导", "governance", True,
                      ("org.read", "staff.read", "map.view", "cockpit.view", "audit.read", "pii.reveal",
                       "cases.read", "cases.dispatch", "cases.supervise", "analysis.view", "assessment.view",
                       "assessment.manage", "registry.read", "registry.approve")),
    "center_operator": ("治理中心受理员", "governance", False,
                        ("org.read", "staff.read", "map.view", "cases.read", "cases.intake", "cases.dispatch",
                         "cases.verify", "cases.supervise", "cases.followup", "analysis.view", "assessment.view",
                         "registry.read", "registry.manage", "registry.export")),
    "street_official": ("街道干部", "governance", False,
                        ("org.read", "staff.read", "map.view", "cases.read", "cases.intake", "cases.dispatch",
                         "cases.verify", "cockpit.view", "analysis.view", "assessment.view", "registry.read",
                         "registry.export")),
    "community_worker": ("社区工作者", "governance", False,
                         ("org.read", "staff.read", "map.view", "cases.read", "cases.intake", "cases.dispatch",
                          "cases.verify", "analysis.view", "registry.read", "registry.verify")),
    "grid_worker": ("网格员", "governance", False,
                    ("org.read", "staff.read", "map.view", "cases.read", "cases.intake", "cases.verify",
                     "registry.read", "registry.verify")),
    "dept_handler": ("部门办理人", "governance", False, ("org.read", "map.view", "cases.read", "cases.handle",
                                                               "analysis.view", "registry.read", "registry.feedback")),
    "community_operator": ("社区运营人员", "operations", False, ("org.read", "operations.use")),
    "resident": ("居民", "service", False, ("service.use", "cases.report")),
}

TERMINAL_HOME = {"governance": "/gov", "operations": "/ops", "service": "/service"}
