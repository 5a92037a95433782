"""The fixed query mix of Scripts/bench, shared by the load generator and the reference pipeline.

Each entry is a complete JSON-lines search request (without "id", which the sender adds).
The mix is what a researcher reading district budgets would ask: project-name words,
phrases, district/year/kind filters, classification codes, amount ranges, boolean
operators, and facet counts on most requests (facets are the expensive part).
"""

ALL_FACETS = ["district", "year", "kind", "type", "code:类", "department", "project"]

QUERY_MIX = [
    {"op": "search", "q": "视频会议", "facets": ALL_FACETS},
    {"op": "search", "q": "政务服务", "facets": ALL_FACETS},
    {"op": "search", "q": "法律顾问", "facets": ["district", "year"]},
    {"op": "search", "q": "信息化 运行维护", "facets": ALL_FACETS},
    {"op": "search", "q": "\"政府信息公开\"", "facets": ALL_FACETS},
    {"op": "search", "q": "运维服务 district:西城", "facets": ["year", "kind"]},
    {"op": "search", "q": "政务服务 year:2023", "facets": ["district", "department"]},
    {"op": "search", "q": "视频会议 district:西城 year:2021..2023", "facets": ALL_FACETS},
    {"op": "search", "q": "信息化", "filters": {"district": ["海淀区", "朝阳区"], "year": [2022, 2023]},
     "facets": ALL_FACETS},
    {"op": "search", "q": "行政运行", "filters": {"kind": ["final"]}, "facets": ["district", "year"]},
    {"op": "search", "q": "code:201", "facets": ["code:类", "district"]},
    {"op": "search", "q": "委托业务费 code:2010302", "facets": ALL_FACETS},
    {"op": "search", "q": "运维 amount:100..500", "facets": ["district", "year"], "sort": "-amount"},
    {"op": "search", "q": "", "facets": ALL_FACETS},
    {"op": "search", "q": "", "filters": {"district": ["丰台区"], "kind": ["final"]},
     "facets": ["year", "department"]},
    {"op": "search", "q": "政务服务 -大厅", "facets": ["district"]},
    {"op": "search", "q": "视频会议 OR 无线电", "facets": ["district", "year"]},
    {"op": "search", "q": "(法律服务 OR 法律顾问) kind:budget", "facets": ALL_FACETS},
    {"op": "search", "q": "绩效目标 type:passage", "facets": ["type", "district"]},
    {"op": "search", "q": "网络安全 year:2019..2020", "facets": ALL_FACETS, "offset": 10},
    {"op": "search", "q": "政务服务", "filters": {"type": ["passage"]}, "limit": 20},
    {"op": "search", "q": "预算 department:教育委员会", "facets": ["department", "year"]},
]

# The side-by-side comparison (issue 15): project names a researcher follows, half of them in
# one district, answered fresh by Gongkai (result cache off), the naive reference and tantivy
# with the same load client. Project names come from the generator's fragments
# (Scripts/generate-corpus), so every one has matches.
PROJECT_NAMES = [
    "视频会议系统运行维护项目", "政务服务大厅运维服务", "区政府网站建设项目", "网络安全服务项目",
    "一网通办运维费", "监控系统设备购置", "政府信息公开专栏内容检查及维护费", "电子政务内网机房运行维护项目",
    "微信公众号运维服务", "政务服务中心咨询引导服务", "数字政务一体化平台系统升级改造项目", "800兆无线电运维费",
]


def _project_mix(facets):
    mix = []
    for i, name in enumerate(PROJECT_NAMES):
        request = {"op": "search", "q": name, "limit": 10}
        if i % 2:
            request["filters"] = {"district": ["西城区"]}
        if facets:
            request["facets"] = ["district", "year"]
        mix.append(request)
    return mix


SIDE_BY_SIDE_MIXES = {
    "top 10": _project_mix(facets=False),
    "top 10 + district, year facets": _project_mix(facets=True),
}
