"""Every page has an icon (issue 15 #12): linked from the page and answered at /favicon.ico."""

from __future__ import annotations

import re


def test_pages_link_an_icon_that_exists(client):
    page = client.get("/").get_data(as_text=True)
    href = re.search(r'<link rel="icon" href="([^"]+)"', page).group(1)
    with client.get(href) as icon:
        assert icon.status_code == 200 and b"<svg" in icon.data


def test_favicon_ico_leads_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    with client.get(response.headers["Location"]) as icon:
        assert icon.status_code == 200
