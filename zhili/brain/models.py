"""The brain's stored models (versioned, one active per kind) and the log of category suggestions vs. choices."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhili.db import Base, UTCDateTime


class BrainModel(Base):
    """A trained model. `version` counts up per kind; at most one row per kind is active, and every process
    serves the active one (checking for a newer one every few seconds). Not audited row by row (the fitted bytes
    do not belong in the audit log): training and activation write their own audit entries."""

    __tablename__ = "brain_models"
    __table_args__ = (UniqueConstraint("kind", "version", name="uq_brain_models_kind_version"),
                      Index("ix_brain_models_kind_active", "kind", "active"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # "category"
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(64), default="system")
    method: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # samples, classes, first/last registered_at, dropped classes (too few examples)
    trained_on: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # cross-validated accuracy, macro-F1, ...
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    note: Mapped[str] = mapped_column(String(500), default="")


class CategorySuggestionLog(Base):
    """What was suggested for a case at intake and what the person who registered it chose: accepted = the
    choice was the first suggestion, in_top3 = it was among the three. The source of the production accuracy."""

    __tablename__ = "category_suggestion_logs"
    __table_args__ = (Index("ix_category_suggestion_logs_created_at", "created_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    model_version: Mapped[str] = mapped_column(String(32))  # "v3", or "keywords" (the fallback)
    suggestions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{category, confidence}]
    chosen: Mapped[str] = mapped_column(String(20))  # category code
    accepted: Mapped[bool] = mapped_column(Boolean, default=False)
    in_top3: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
