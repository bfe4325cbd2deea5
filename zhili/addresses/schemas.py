"""What the address API returns."""

from __future__ import annotations

from pydantic import BaseModel, Field


class AddressMatch(BaseModel):
    """The answer to "where is this address?". `lon`/`lat` only when `matched`: a road or street alone gives the
    names it is sure of but no point, and the caller asks the user to pin the place on the map."""

    matched: bool
    confidence: float = Field(ge=0, le=1)
    level: str = Field(description="room / unit / building / number / road / community / street / district / none")
    lon: float | None = None
    lat: float | None = None
    standard_address_id: int | None = None
    road_name: str | None = None
    street_code: str | None = None
    street_name: str | None = None
    community_code: str | None = None
    community_name: str | None = None
    grid_code: str | None = None
    grid_name: str | None = None
    micro_grid_code: str | None = None
    normalized: str = Field(description="匹配到的标准地址全称（未匹配时为规范化后的原文）")
    message: str
    reasons: list[str] = Field(default_factory=list)


class AddressRead(BaseModel):
    id: int
    level: str
    parent_id: int | None
    road_name: str
    number: int
    number_suffix: str
    building: str
    unit: str
    room: str
    full_text: str
    lon: float
    lat: float
    street_code: str | None
    street_name: str | None
    community_code: str
    community_name: str
    grid_code: str | None
    grid_name: str | None
    micro_grid_code: str | None
    source: str
    active: bool
