"""workcal api routes."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/calendar", tags=["workcal"])
