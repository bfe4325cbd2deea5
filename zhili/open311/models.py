"""Open311 tables: client applications with their api keys, per-category service attributes (the service
definitions), and the Open311 side of each case filed through the endpoint."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhili.db import Base, UTCDateTime
from zhili.kit.crypto import EncryptedString


class Datatype(enum.StrEnum):
    """The specification's attribute datatypes, spelled exactly as it spells them."""

    string = "string"
    number = "number"
    datetime = "datetime"
    text = "text"
    singlevaluelist = "singlevaluelist"
    multivaluelist = "multivaluelist"


class Open311Client(Base):
    """A registered client application. Only the SM3 hash of its api key is stored: the key is shown once."""

    __tablename__ = "open311_clients"
    __audit__ = True
    __audit_exclude__ = frozenset({"key_hash", "last_used_at"})
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    contact: Mapped[str] = mapped_column(String(200), default="")
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(12))  # the first characters, to tell keys apart on screen
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ServiceAttribute(Base):
    """One field of a category's service definition (GET services/{code}); `values` holds [{key, name}] for
    the list datatypes."""

    __tablename__ = "open311_service_attributes"
    __audit__ = True
    __table_args__ = (UniqueConstraint("category_id", "code", name="uq_open311_service_attributes_category_code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    variable: Mapped[bool] = mapped_column(Boolean, default=True)
    datatype: Mapped[str] = mapped_column(String(20))
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=1)  # the specification's `order`
    description: Mapped[str] = mapped_column(String(500), default="")
    datatype_description: Mapped[str] = mapped_column(String(500), default="")
    values: Mapped[list[dict[str, str]] | None] = mapped_column(JSON, nullable=True)


class Open311Request(Base):
    """The Open311 side of a case: who filed it (the client), its token, the attribute answers, and the
    reporter's contact details, which are encrypted at rest and never returned by the endpoint."""

    __tablename__ = "open311_requests"
    __audit__ = True
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    token: Mapped[str] = mapped_column(String(36), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("open311_clients.id"), index=True)
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    media_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    address_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    account_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    device_id: Mapped[str | None] = mapped_column(EncryptedString(400), nullable=True)
    email: Mapped[str | None] = mapped_column(EncryptedString(400), nullable=True)
    first_name: Mapped[str | None] = mapped_column(EncryptedString(400), nullable=True)
    last_name: Mapped[str | None] = mapped_column(EncryptedString(400), nullable=True)
    phone: Mapped[str | None] = mapped_column(EncryptedString(400), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
