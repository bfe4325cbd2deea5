"""Every answer carries the browser-hardening headers; only static files may be cached."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_pages_api_and_errors_carry_security_headers_and_are_not_cached(app) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    for path, status in (("/login", 200), ("/api/cases", 401), ("/no-such-page", 404)):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == status, path
        assert r.headers["X-Frame-Options"] == "DENY", path  # no clickjacking through a frame
        assert r.headers["X-Content-Type-Options"] == "nosniff", path
        assert r.headers["Referrer-Policy"] == "same-origin", path
        assert r.headers["Cache-Control"] == "no-store", path  # personal data stays out of shared caches


def test_static_files_may_be_cached(app) -> None:  # type: ignore[no-untyped-def]
    r = TestClient(app).get("/static/app.css")
    assert r.status_code == 200 and r.headers["X-Frame-Options"] == "DENY"
    assert "no-store" not in r.headers.get("Cache-Control", "")
