"""The shop's browse filters: read from the URL (so a filtered page can be shared), combined with
each other, and offered as the places that still have products (browse.html shows the ones on
as removable chips)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import request, url_for
from sqlalchemy.orm import Session

from catalogue import service as catalogue
from catalogue.categories import CATEGORIES
from catalogue.models import Region

FILTERS = ("q", "partner", "region", "category", "certified")
QUERY_CHARS = 64
# Choosing a province or prefecture jumps to the row below it: a browser opens the closed 筛选
# panel (a <details>) to show a fragment's target, so on a phone the cascade stays in view.
NEXT_ROW = {"province": "#origin-prefecture", "prefecture": "#origin-county"}


@dataclass(frozen=True)
class BrowseFilters:
    """What a shopper narrowed the catalogue to; every filter given applies together."""

    q: str = ""
    partner: Region | None = None  # an eastern partner city (or one of its districts)
    region: Region | None = None  # a western province, prefecture or county
    category: str | None = None
    certified: bool = False

    def search_args(self, *, with_region: bool = True) -> dict[str, Any]:
        """The keyword arguments of catalogue.search_products for these filters."""
        args: dict[str, Any] = {
            "q": self.q,
            "partner": self.partner.code if self.partner else None,
            "category": self.category,
            "certified_only": self.certified,
        }
        if with_region and self.region is not None:
            args[self.region.level] = self.region.code
        return args

    @property
    def panel_count(self) -> int:
        """How many filters of the 筛选 panel are on (the search box is outside it)."""
        return sum(bool(x) for x in (self.partner, self.region, self.category, self.certified))


def parse(session: Session, args: Mapping[str, str]) -> BrowseFilters:
    """The filters of a browse URL; an unknown code is ignored, never an error."""
    partner = session.get(Region, args.get("partner") or "")
    region = session.get(Region, args.get("region") or "")
    category = args.get("category")
    return BrowseFilters(
        q=(args.get("q") or "")[:QUERY_CHARS],
        partner=partner,
        region=region,
        category=category if category in CATEGORIES else None,
        certified=args.get("certified") == "1",
    )


def filter_url(**changes: str | None) -> str:
    """This browse page's URL with some filters changed (None removes one), the others kept."""
    args = {k: v for k, v in request.args.items() if k in FILTERS and v}
    args.update(changes)
    return url_for("shop.browse", **{k: v for k, v in args.items() if v})


@dataclass
class PlaceRow:
    """One level of the origin cascade: its places, the one chosen, and the link that clears it."""

    level: str
    places: list[Region]
    chosen: str | None
    all_url: str
    urls: dict[str, str] = field(default_factory=dict)


def _parent(region: Region, level: str) -> Region | None:
    return next((r for r in region.lineage() if r.level == level), None)


def place_rows(session: Session, filters: BrowseFilters, on: date) -> list[PlaceRow]:
    """Province → prefecture → county rows, each holding only the places with a product that the
    other filters let through; a row opens once the level above it is chosen."""
    counties = catalogue.origin_counties(session, on=on, **filters.search_args(with_region=False))
    chosen = {r.level: r for r in filters.region.lineage()} if filters.region else {}
    province, prefecture = chosen.get("province"), chosen.get("prefecture")

    def add(found: dict[str, Region], region: Region | None) -> None:
        if region is not None:
            found.setdefault(region.code, region)

    provinces: dict[str, Region] = {}
    prefectures: dict[str, Region] = {}
    places_of_prefecture: dict[str, Region] = {}
    for county in counties:
        add(provinces, _parent(county, "province"))
        if province and _parent(county, "province") is province:
            # a county governed by its province directly (省直辖县) sits beside the prefectures
            add(prefectures, _parent(county, "prefecture") or county)
        if prefecture and county.parent_code == prefecture.code:
            add(places_of_prefecture, county)
    for region in chosen.values():  # the chosen place stays visible even when nothing matches now
        if region.level == "province":
            add(provinces, region)
        elif region.level == "prefecture" or region.parent is province:
            add(prefectures, region)
        elif prefecture:
            add(places_of_prefecture, region)

    rows = [_row("province", provinces, province, None)]
    if province is not None:
        rows.append(_row("prefecture", prefectures, prefecture or chosen.get("county"), province))
    if prefecture is not None:
        rows.append(_row("county", places_of_prefecture, chosen.get("county"), prefecture))
    return rows


def _row(level: str, places: dict[str, Region], chosen: Region | None, above: Region | None) -> PlaceRow:
    ordered = sorted(places.values(), key=lambda r: r.code)
    return PlaceRow(
        level=level,
        places=ordered,
        chosen=chosen.code if chosen else None,
        all_url=filter_url(region=above.code if above else None),
        urls={r.code: filter_url(region=r.code) + NEXT_ROW.get(r.level, "") for r in ordered},
    )
