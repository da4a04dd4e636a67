"""The console's product forms write through the catalogue service the API calls: a good form is
stored, a bad field is a 422 naming it (in Chinese, English beside) with nothing written, an
auditor is refused, and an uploaded picture is checked, re-encoded at 800 px and served."""

from __future__ import annotations

import io
from datetime import date

import pytest
from PIL import Image
from sqlalchemy import select

from catalogue.models import Product, Supplier
from tests.api.test_catalogue_writes import VALID_GTIN, counts
from tests.api.test_login import csrf_from, sign_in


@pytest.fixture
def supplier_id(session) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(Supplier.id).where(Supplier.county_code == "610830").limit(1))


def product_form(supplier_id: int, **overrides: str) -> dict[str, str]:
    form = {
        "sku": "new-millet-2kg",
        "name_zh": "测试小米",
        "name_en": "Test millet",
        "category": "grain",
        "spec": "2kg/袋",
        "price": "36.00",
        "county": "610830",
        "supplier": str(supplier_id),
        "gtin": VALID_GTIN,
        "certification_no": "SX-TEST-1",
        "certified_from": "2026-01-01",
        "certified_until": "2027-12-31",
        "shelf_life_days": "365",
        "storage": "ambient",
        "keywords": "铁杆庄稼",
        "story_zh": "",
        "story_en": "",
        "active": "1",
    }
    form.update(overrides)
    return form


def post_form(client, path: str, data: dict, **files) -> object:  # type: ignore[no-untyped-def]
    """Post a console form with the CSRF token of its page (and files as (bytes, name))."""
    token = csrf_from(client.get(path).data)
    body: dict[str, object] = {**data, "csrf_token": token}
    for name, (content, filename) in files.items():
        body[name] = (io.BytesIO(content), filename)
    return client.post(path, data=body, content_type="multipart/form-data")


def picture(size: tuple[int, int], kind: str = "JPEG", **save: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, kind, **save)
    return out.getvalue()


def test_an_operator_adds_a_product_priced_in_yuan_with_its_origin_and_certification(
    client, session, supplier_id
) -> None:
    sign_in(client, "operator")
    response = post_form(client, "/console/catalogue/new", product_form(supplier_id))
    assert response.status_code == 303, response.get_data(as_text=True)
    product = session.scalar(select(Product).where(Product.sku == "NEW-MILLET-2KG"))
    assert (product.price_fen, product.county_code, product.supplier_id) == (3600, "610830", supplier_id)
    assert product.is_certified(date(2026, 11, 26)) and product.gtin == VALID_GTIN
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已添加商品「测试小米」" in page and "认定有效 · Certified" in page


BAD_FIELDS = [
    ({"gtin": VALID_GTIN[:12] + str((int(VALID_GTIN[12]) + 1) % 10)}, "gtin", "商品条码无效"),
    ({"price": "12.345"}, "price", "请输入金额"),
    ({"price": "0"}, "price", "请输入金额"),
    ({"name_zh": ""}, "name_zh", "必填"),
    ({"sku": "坏 编码"}, "sku", "只能包含大写字母"),
    ({"category": "toys"}, "category", "请从列表中选择"),
    ({"county": "610800"}, "county", "请从列表中选择"),  # a prefecture, not a county
    ({"supplier": ""}, "supplier", "请从列表中选择"),
    ({"shelf_life_days": "0"}, "shelf_life_days", "应在 1 到 3650 之间"),
    ({"shelf_life_days": "a year"}, "shelf_life_days", "请输入整数"),
    ({"certification_no": ""}, "certification_no", "填写认定信息时必填"),
    ({"certified_until": "2025-12-31"}, "certified_until", "不能早于认定起始日"),
    ({"certified_from": "01/01/2026"}, "certified_from", "请输入日期"),
]


@pytest.mark.parametrize(("override", "field", "zh"), BAD_FIELDS)
def test_a_bad_field_is_a_422_naming_it_and_nothing_is_written(
    client, session, supplier_id, override, field, zh
) -> None:
    sign_in(client, "operator")
    before = counts(session)
    response = post_form(client, "/console/catalogue/new", product_form(supplier_id, **override))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html and zh in html
    assert 'value="Test millet"' in html  # what was typed stays
    assert counts(session) == before


def test_a_sku_already_used_is_the_service_s_refusal_shown_by_field(client, session, supplier_id) -> None:
    taken = session.scalar(select(Product.sku).order_by(Product.id))
    sign_in(client, "operator")
    response = post_form(client, "/console/catalogue/new", product_form(supplier_id, sku=taken, gtin=""))
    assert response.status_code == 422 and 'id="sku-error"' in response.get_data(as_text=True)


def test_editing_a_product_changes_its_certification_and_keeps_the_rest(client, session) -> None:
    product = session.scalar(
        select(Product).where(Product.certification_no.is_not(None)).order_by(Product.id)
    )
    sign_in(client, "operator")
    page = client.get(f"/console/catalogue/{product.id}").get_data(as_text=True)
    assert product.name_zh in page and "认定有效 · Certified" in page
    form = _form_of(product, certification_no="NX-2026-0099", certified_until="2026-11-01")
    response = post_form(client, f"/console/catalogue/{product.id}", form)
    assert response.status_code == 303
    session.expire_all()
    saved = session.get(Product, product.id)
    assert saved.certification_no == "NX-2026-0099" and saved.certified_until == date(2026, 11, 1)
    assert saved.certification_status(date(2026, 11, 26)) == "lapsed"
    assert saved.price_fen == product.price_fen and saved.image_url == product.image_url
    assert "认定已过期" in client.get(f"/console/catalogue/{product.id}").get_data(as_text=True)


def test_a_refused_edit_changes_nothing(client, session) -> None:
    product = session.scalar(select(Product).order_by(Product.id))
    kept = (product.name_zh, product.certified_until)
    sign_in(client, "operator")
    form = _form_of(product, name_zh="改了的名字", certified_from="2030-01-01")
    response = post_form(client, f"/console/catalogue/{product.id}", form)
    assert response.status_code == 422 and 'id="certified_until-error"' in response.get_data(as_text=True)
    session.expire_all()
    assert (
        session.get(Product, product.id).name_zh,
        session.get(Product, product.id).certified_until,
    ) == kept


def test_an_edit_the_service_refuses_is_rolled_back_and_shown_by_field(client, session) -> None:
    taken = session.scalar(select(Product).where(Product.gtin.is_not(None)).order_by(Product.id))
    product = session.scalar(select(Product).where(Product.gtin.is_(None)).order_by(Product.id))
    kept = (product.name_zh, product.gtin)
    sign_in(client, "operator")
    form = _form_of(product, name_zh="不应保存", gtin=taken.gtin)
    response = post_form(client, f"/console/catalogue/{product.id}", form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="gtin-error"' in html and "已被其他商品使用" in html
    assert 'value="不应保存"' in html
    session.expire_all()
    saved = session.get(Product, product.id)
    assert (saved.name_zh, saved.gtin) == kept


def _form_of(product: Product, **overrides: str) -> dict[str, str]:
    from kiosk_api.console.catalogue_pages import product_form_values

    return {**product_form_values(product), **overrides}


@pytest.mark.parametrize(
    "path",
    [
        "/console/catalogue/new",
        "/console/catalogue/1",
        "/console/suppliers/new",
        "/console/suppliers/1",
        "/console/regions/new",
        "/console/regions/640422",
        "/console/pairings/new",
        "/console/pairings/1",
    ],
)
def test_an_auditor_may_not_post_a_catalogue_form(client, session, path) -> None:
    sign_in(client, "auditor")
    token = csrf_from(client.get("/console/catalogue/1").data)
    before = counts(session)
    response = client.post(path, data={"csrf_token": token, "name_zh": "审计员改名", "code": "640499"})
    assert response.status_code == 403
    assert counts(session) == before
    assert session.scalar(select(Product.id).where(Product.name_zh == "审计员改名")) is None


@pytest.mark.parametrize(
    ("content", "filename", "zh"),
    [
        (b"%PDF-1.4 not a picture at all", "photo.jpg", "不是可识别的图片文件"),
        (picture((400, 400), "GIF"), "photo.gif", "只接受 JPEG、PNG 或 WebP"),
        (picture((120, 90)), "tiny.jpg", "图片太小"),
        (picture((400, 400))[:200], "cut.jpg", "不是可识别的图片文件"),
        (b"\xff\xd8\xff" + bytes(1_600_000), "big.jpg", "不能超过 1.5 MB"),
    ],
)
def test_an_upload_that_is_no_usable_picture_is_refused_and_nothing_is_stored(
    client, session, supplier_id, media_dir, content, filename, zh
) -> None:
    sign_in(client, "operator")
    before = counts(session)
    response = post_form(
        client, "/console/catalogue/new", product_form(supplier_id), image=(content, filename)
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="image-error"' in html and zh in html
    assert counts(session) == before
    assert not media_dir.exists() or not any(media_dir.rglob("*"))


def test_an_upload_over_the_request_limit_is_a_page_saying_so(client, session, supplier_id) -> None:
    sign_in(client, "operator")
    before = counts(session)
    response = post_form(
        client, "/console/catalogue/new", product_form(supplier_id), image=(bytes(2_200_000), "huge.jpg")
    )
    assert response.status_code == 413 and response.mimetype == "text/html"
    assert "文件太大" in response.get_data(as_text=True)
    assert counts(session) == before


def test_a_good_jpeg_is_resized_to_800_px_without_exif_stored_and_served(
    client, session, supplier_id, media_dir
) -> None:
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"  # Make
    exif[0x0112] = 1  # Orientation: upright
    original = picture((1600, 1200), "JPEG", exif=exif.tobytes(), quality=95)
    sign_in(client, "operator")
    response = post_form(
        client, "/console/catalogue/new", product_form(supplier_id), image=(original, "p.jpg")
    )
    assert response.status_code == 303
    product = session.scalar(select(Product).where(Product.sku == "NEW-MILLET-2KG"))
    assert product.image_url.startswith("/media/products/") and product.image_url.endswith(".jpg")
    stored = media_dir / "products" / product.image_url.rsplit("/", 1)[1]
    with Image.open(stored) as saved:
        assert saved.format == "JPEG" and saved.size == (800, 600)
        assert not saved.getexif()
    served = client.get(product.image_url)
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.data == stored.read_bytes()
    assert client.get("/media/products/../../etc/passwd").status_code == 404


def test_a_png_replaces_a_product_s_picture_on_edit(client, session, media_dir) -> None:
    product = session.scalar(select(Product).order_by(Product.id))
    out = io.BytesIO()
    Image.new("RGBA", (300, 900), (0, 128, 0, 128)).save(out, "PNG")
    sign_in(client, "operator")
    response = post_form(
        client, f"/console/catalogue/{product.id}", _form_of(product), image=(out.getvalue(), "tall.png")
    )
    assert response.status_code == 303
    session.expire_all()
    url = session.get(Product, product.id).image_url
    with Image.open(media_dir / "products" / url.rsplit("/", 1)[1]) as saved:
        assert saved.size == (267, 800) and saved.mode == "RGB"
    assert client.get(f"/api/v1/products/{product.id}").get_json()["image_url"] == url
