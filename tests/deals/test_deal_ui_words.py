"""Internal codes on the deal pages (issue 15 #7): a fingerprint is named in words, the digest and the
rule ids follow in small print; the filing package's checks read as words before their rule."""

from __future__ import annotations

import re

from market.core.extensions import db
from market.deals import documents
from tests.deals.negotiation_world import agreed, licence_terms, world
from tests.deals.test_deal_pages import as_user


def _outside_small_print(html: str) -> str:
    body = html.split("<main", 1)[-1]
    return re.sub(r"<small[^>]*>.*?</small>", "", body, flags=re.S)


def test_the_signature_page_names_the_fingerprint_in_words_and_the_digest_in_small_print(app, session):
    w = world()
    deal = agreed(w, "LICENSE_ORDINARY", terms=licence_terms(w))
    db.session.commit()
    for lang, words in (("zh", "数字指纹"), ("en", "fingerprint")):
        html = as_user(app, w.seller).get(f"/deals/{deal.id}/sign?lang={lang}").get_data(as_text=True)
        digest = re.search(r'name="sha256" value="([0-9a-f]{64})"', html)[1]
        visible = _outside_small_print(html)
        assert words in visible and "SHA-256" not in visible
        assert digest in html and digest not in visible.replace(f'value="{digest}"', "")


def test_the_filing_package_lists_each_check_in_words_before_its_rule(session):
    w = world()
    deal = agreed(w, "LICENSE_ORDINARY", terms=licence_terms(w))
    package = documents.filing_package(deal, "zh")
    checks = next(s for s in package.sections if s.heading.startswith("三"))
    head, *rows = checks.table
    assert head[0] == "检查项" and head[-1] == "依据"
    assert rows and all(not re.match(r"^(REC|R-|IR)", row[0]) for row in rows)
    assert any(row[-1].startswith("REC 12") for row in rows)
