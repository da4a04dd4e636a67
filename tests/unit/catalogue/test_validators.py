import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalogue import demo_data
from catalogue.validators import (
    CREDIT_CODE_ALPHABET,
    credit_code_check_char,
    gtin_check_digit,
    is_safe_image_url,
    is_valid_credit_code,
    is_valid_gtin13,
)

# Published examples: a GB 32100 sample code and GS1's own EAN-13 example.
KNOWN_CREDIT_CODES = ["91350100M000100Y43", "91110108551385082Q"]
KNOWN_GTINS = ["4006381333931", "6901234567892"]


@pytest.mark.parametrize("code", KNOWN_CREDIT_CODES)
def test_accepts_published_credit_codes(code: str) -> None:
    assert is_valid_credit_code(code)


@pytest.mark.parametrize(
    "code",
    [
        "",
        "91350100M000100Y4",
        "91350100M000100Y43X",
        "91350100m000100Y43",
        "91350100I000100Y43",
        "91350100M000100Y44",
        91350100,
    ],
)
def test_refuses_malformed_credit_codes(code: object) -> None:
    assert not is_valid_credit_code(code)  # type: ignore[arg-type]


@given(st.sampled_from(KNOWN_CREDIT_CODES), st.integers(0, 17), st.sampled_from(CREDIT_CODE_ALPHABET))
def test_any_single_character_change_breaks_a_credit_code(code: str, position: int, char: str) -> None:
    changed = code[:position] + char + code[position + 1 :]
    assert is_valid_credit_code(changed) == (changed == code)


@given(st.text(alphabet=CREDIT_CODE_ALPHABET, min_size=17, max_size=17))
def test_the_computed_check_character_always_validates(first17: str) -> None:
    assert is_valid_credit_code(first17 + credit_code_check_char(first17))


@pytest.mark.parametrize("gtin", KNOWN_GTINS)
def test_accepts_published_gtins(gtin: str) -> None:
    assert is_valid_gtin13(gtin)


@given(st.sampled_from(KNOWN_GTINS), st.integers(0, 12), st.sampled_from("0123456789"))
def test_any_single_digit_change_breaks_a_gtin(gtin: str, position: int, digit: str) -> None:
    changed = gtin[:position] + digit + gtin[position + 1 :]
    assert is_valid_gtin13(changed) == (changed == gtin)


@pytest.mark.parametrize("gtin", ["690123456789", "69012345678921", "690123456789X", "6901234567891"])
def test_refuses_malformed_gtins(gtin: str) -> None:
    assert not is_valid_gtin13(gtin)


def test_gtin_check_digit_of_gs1_example() -> None:
    assert gtin_check_digit("400638133393") == "1"


def test_demo_identifiers_all_validate() -> None:
    assert all(is_valid_credit_code(s["credit_code"]) for s in demo_data.SUPPLIERS)
    assert all(is_valid_gtin13(p["gtin"]) for p in demo_data.PRODUCTS if p["gtin"])
    # The county code sits in characters 3–8 of a credit code.
    assert all(s["credit_code"][2:8] == s["county"] for s in demo_data.SUPPLIERS)


@pytest.mark.parametrize(
    "url",
    [
        "https://cdn.example.com/p/potatoes.jpg?v=2",
        "https://图片.example/马铃薯.jpg",
        "/static/img/products/potatoes.svg",
        "/media/products/0123456789abcdef0123456789abcdef.jpg",
    ],
)
def test_image_urls_we_serve_are_accepted(url: str) -> None:
    assert is_safe_image_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:image/png;base64,AAAA",
        "http://cdn.example.com/p.jpg",
        "//cdn.example.com/p.jpg",
        "/\\cdn.example.com/p.jpg",
        "/etc/passwd",
        "/static/../secret",
        "/static//x",
        "/media/../secret",
        "/mediax/p.jpg",
        "https://[::1/x.png",
        "https://a@b.example/x.png",
        "https://cdn.example.com/\u202ex.png",
        "",
    ],
)
def test_image_urls_that_run_or_leave_are_refused(url: str) -> None:
    assert not is_safe_image_url(url)


def test_demo_pictures_are_our_static_files() -> None:
    assert all(is_safe_image_url(p["image_url"]) for p in demo_data.PRODUCTS if p.get("image_url"))
