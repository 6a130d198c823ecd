"""The gallery (python -m tests.browser.gallery) covers the URL map and renders pages."""

from __future__ import annotations

from tests.browser import gallery


def test_the_gallery_pictures_every_get_page_it_can_fill(live_server):
    ids = gallery.sample_ids(live_server.app, None)
    covered = {endpoint for endpoint, _ in gallery.pages(live_server.app, ids)}
    rules = [r for r in live_server.app.url_map.iter_rules()
             if "GET" in r.methods and not r.rule.startswith("/api/") and r.endpoint not in gallery.SKIP_ENDPOINTS]
    # A page is left out only when the demo has no sample of what its URL names (say, an import batch).
    left_out = {r.endpoint: sorted(set(r.arguments) - set(ids)) for r in rules if r.endpoint not in covered}
    assert all(left_out.values()), left_out
    assert {"site.home", "listings.patent", "deals.deal", "statistics.dashboard"} <= covered


def test_the_gallery_renders_a_phone_page_into_a_png(browser, live_server, tmp_path):
    shots = gallery.shoot(browser, live_server, "anonymous", None, "zh", "phone", tmp_path, only="site.home")
    (home,) = [s for s in shots if s.endpoint == "site.home"]
    assert home.status == 200 and (tmp_path / home.file).stat().st_size > 10_000 and home.overflow <= 1
