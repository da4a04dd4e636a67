import pytest

from catalogue.search import like_pattern, normalize_query, search_keys


def contains(text: str, query: str) -> bool:
    return normalize_query(query) in text


@pytest.mark.parametrize(
    "query",
    [
        "马铃薯",
        "馬鈴薯",
        "malingshu",
        "mls",
        "tudou",
        "TuDou",
        "td",
        "Xiji Potatoes",
        "xjmls",
        "ma ling shu",
        "xiji",
        "西吉",
    ],
)
def test_potatoes_are_found_by_characters_pinyin_initials_and_english(query: str) -> None:
    keys = search_keys("西吉马铃薯", "Xiji potatoes", "土豆 洋芋", "西吉县")
    assert contains(keys, query)


@pytest.mark.parametrize("query", ["蜂蜜", "fengmi", "tea", "xyz"])
def test_unrelated_queries_do_not_match(query: str) -> None:
    assert not contains(search_keys("西吉马铃薯", "Xiji potatoes", "土豆 洋芋", "西吉县"), query)


def test_traditional_text_is_indexed_in_simplified() -> None:
    assert "马铃薯" in search_keys("馬鈴薯")


def test_like_wildcards_in_queries_are_escaped() -> None:
    assert like_pattern("50%_off") == "%50\\%\\_off%"


@pytest.mark.parametrize("query", ["马铃薯", "馬鈴薯", "mls", "malingshu", "土豆", "tudou", "洋芋", "yangyu"])
@pytest.mark.parametrize(
    "name",
    ["西吉土豆粉", "香辣土豆丝", "西吉马铃薯淀粉", "定西洋芋片"],
    ids=["tudoufen", "tudousi", "dianfen", "yangyupian"],
)
def test_each_name_of_the_potato_finds_products_named_by_another(name: str, query: str) -> None:
    assert contains(search_keys(name), query)


def test_a_synonym_does_not_find_unrelated_products() -> None:
    keys = search_keys("六盘山蜂蜜", "Liupanshan honey")
    assert not any(contains(keys, q) for q in ("土豆", "马铃薯", "洋芋", "mls", "yy"))
