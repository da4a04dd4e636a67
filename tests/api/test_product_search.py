"""GET /api/v1/products: search that fits Chinese shoppers, and the filters."""

import pytest

POTATO_SKUS_AT_LEAST = {"GY-POTATO-5KG"}


def names(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["name"]["zh"] for item in response.get_json()["items"]]


@pytest.mark.parametrize("q", ["tudou", "馬鈴薯", "马铃薯", "malingshu", "mls"])
def test_potatoes_are_found_in_simplified_traditional_pinyin_and_initials(client, q: str) -> None:
    found = names(client.get("/api/v1/products", query_string={"q": q}))
    assert "西吉马铃薯" in found
    assert all("薯" in name or "土豆" in name for name in found)


def test_every_name_of_the_potato_finds_the_same_products(client) -> None:
    """土豆 = 马铃薯 = 洋芋, both ways: 马铃薯 finds 土豆粉 and 土豆丝 (it found 3 of the 5)."""
    found = {
        q: sorted(names(client.get("/api/v1/products", query_string={"q": q, "per_page": 100})))
        for q in ("土豆", "马铃薯", "馬鈴薯", "洋芋", "tudou", "malingshu", "mls")
    }
    assert len(set(map(tuple, found.values()))) == 1, found
    assert "西吉香辣土豆丝" in found["马铃薯"] and "西吉马铃薯" in found["土豆"]


def test_initials_find_shredded_potatoes(client) -> None:
    assert names(client.get("/api/v1/products?q=tds")) == ["西吉香辣土豆丝"]


def test_simplified_and_traditional_queries_give_the_same_results(client) -> None:
    assert names(client.get("/api/v1/products?q=馬鈴薯")) == names(client.get("/api/v1/products?q=马铃薯"))


def test_filters_by_county_prefecture_province_partner_and_category(client) -> None:
    body = client.get("/api/v1/products?county=640422").get_json()
    assert body["total"] >= 3 and {i["county"]["code"] for i in body["items"]} == {"640422"}
    body = client.get("/api/v1/products?prefecture=640400&per_page=200").get_json()
    assert {i["prefecture"]["code"] for i in body["items"]} == {"640400"}
    body = client.get("/api/v1/products?province=520000&per_page=200").get_json()
    assert body["total"] > 0 and {i["province"]["code"] for i in body["items"]} == {"520000"}
    body = client.get("/api/v1/products?partner=350100&per_page=200").get_json()
    assert body["total"] > 0 and all(
        {"code": "350100", "name": {"zh": "福州市", "en": "Fuzhou"}} in i["partners"] for i in body["items"]
    )
    body = client.get("/api/v1/products?category=tea&per_page=200").get_json()
    assert body["total"] > 0 and {i["category"]["code"] for i in body["items"]} == {"tea"}


def test_partner_city_includes_its_districts_pairings(client) -> None:
    # Hangzhou's Xiaoshan district is paired with Congjiang; asking for Hangzhou finds those goods.
    body = client.get("/api/v1/products?partner=330100&per_page=200").get_json()
    assert body["total"] > 0 and {i["county"]["code"] for i in body["items"]} == {"522633"}


def test_certified_only_leaves_out_lapsed_and_uncertified_products(client) -> None:
    every = client.get("/api/v1/products?per_page=200").get_json()["items"]
    certified = client.get("/api/v1/products?certified=true&per_page=200").get_json()["items"]
    lapsed = [i for i in every if i["certification"]["status"] == "lapsed"]
    assert lapsed and all(not i["certified"] for i in lapsed)
    assert {i["id"] for i in certified} == {i["id"] for i in every if i["certified"]}
    assert len(certified) < len(every)


def test_pages_are_bounded(client) -> None:
    body = client.get("/api/v1/products?per_page=5&page=2").get_json()
    assert len(body["items"]) == 5 and body["total"] == 40 and body["page"] == 2


@pytest.mark.parametrize(
    "query",
    ["per_page=0", "per_page=1000", "page=-1", "county=64", "category=gold", "nonsense=1", "partner=abc"],
)
def test_bad_query_parameters_are_422_naming_the_parameter(client, query: str) -> None:
    response = client.get(f"/api/v1/products?{query}")
    assert response.status_code == 422
    assert query.split("=")[0] in response.get_json()["error"]["fields"]


def test_product_detail_shows_origin_supplier_and_certification(client) -> None:
    item = client.get("/api/v1/products?q=GY-POTATO-5KG").get_json()["items"][0]
    detail = client.get(f"/api/v1/products/{item['id']}").get_json()
    assert detail["county"]["name"]["zh"] == "西吉县"
    assert detail["prefecture"]["code"] == "640400" and detail["province"]["code"] == "640000"
    assert detail["supplier"]["households_linked"] > 0
    assert detail["certification"]["status"] == "certified" and detail["price"] == "¥29.90"


def test_unknown_product_is_404_json(client) -> None:
    response = client.get("/api/v1/products/999999")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "product_not_found"


def test_regions_list_by_level_and_parent(client) -> None:
    counties = client.get("/api/v1/regions?parent=640400").get_json()
    assert {r["code"] for r in counties} == {"640402", "640422", "640423", "640424", "640425"}
    assert all(r["level"] == "province" for r in client.get("/api/v1/regions?level=province").get_json())
