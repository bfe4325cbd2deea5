from __future__ import annotations

import re

from fastapi.testclient import TestClient

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    m = CSRF_FIELD.search(html)
    assert m, "page has no CSRF field"
    return m.group(1)


def web_login(client: TestClient, username: str, password: str) -> object:
    page = client.get("/login")
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_from(page.text)}, follow_redirects=False)
