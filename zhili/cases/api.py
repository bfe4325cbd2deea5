"""cases api routes."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/cases", tags=["cases"])
