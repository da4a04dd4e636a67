"""Chinese first, English available: the language of a page and its strings.

Pages carry a handful of strings each, kept side by side in both languages here rather than in
gettext catalogues, so a change to one language shows its twin in the same line.
"""

from __future__ import annotations

from flask import request

LANGUAGES = ("zh", "en")

STRINGS: dict[str, tuple[str, str]] = {
    "site_name": ("东西 · 消费帮扶", "dongxi · Consumption assistance"),
    "tagline": (
        "东部城市帮销西部县域特色农产品，每一分钱都可追溯到原产县与合作社",
        "Eastern cities sell the farm products of their paired western counties — every fen traced "
        "to its county and cooperative",
    ),
    "search": ("搜索", "Search"),
    "search_placeholder": ("搜索商品：马铃薯 / 馬鈴薯 / tudou / tds", "Search: potatoes, tudou, 马铃薯…"),
    "all_categories": ("全部品类", "All categories"),
    "certified_only": ("仅认定产品", "Certified only"),
    "certified": ("扶贫产品认定", "Certified"),
    "lapsed": ("认定已过期", "Certification lapsed"),
    "origin": ("产地", "Origin"),
    "supplier": ("供应商", "Supplier"),
    "households": ("带动农户", "households linked"),
    "partners": ("东西部协作结对", "East–West pairings"),
    "paired_with": ("结对", "paired with"),
    "results": ("件商品", "products"),
    "no_results": ("没有找到商品，换个词试试", "No products found — try another word"),
    "login": ("登录", "Sign in"),
    "logout": ("退出", "Sign out"),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "login_failed": ("用户名或密码不正确", "Wrong username or password"),
    "login_throttled": (
        "登录失败次数过多，请 {minutes} 分钟后再试",
        "Too many failed sign-ins: try again in {minutes} min",
    ),
    "signed_in_as": ("已登录", "Signed in as"),
    "api_docs": ("接口文档 (OpenAPI)", "API (OpenAPI)"),
    "shop": ("商城", "Shop"),
    "cart": ("购物车", "Cart"),
    "org_portal": ("单位采购", "My unit"),
    "org_quotas": ("单位额度", "Units & quotas"),
    "partner_cities": ("东部协作城市与结对地区", "Eastern partners and their paired regions"),
    "browse_all": ("逛全部商品", "Browse all products"),
    "demo_notice": (
        "演示数据：区划代码与结对关系真实，供应商、商品与价格为演示。",
        "Demo data: region codes and pairings are real; suppliers, products and prices are demo.",
    ),
}


def current_language() -> str:
    """Return the page language: ?lang= first, then the cookie, then Chinese."""
    lang = request.args.get("lang") or request.cookies.get("lang") or "zh"
    return lang if lang in LANGUAGES else "zh"


def translate(key: str, lang: str | None = None) -> str:
    """Return a page string in the given (or current) language."""
    zh, en = STRINGS[key]
    return en if (lang or current_language()) == "en" else zh
