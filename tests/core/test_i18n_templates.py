"""The translation helpers reach every template, macros imported without context included."""

from __future__ import annotations

from flask import render_template_string


def test_a_macro_imported_without_context_translates(app):
    # /statistics/deals imports `pagination` this way; with `t` only in the context it answered 500
    # as soon as the list had a second page.
    page = "{% from '_macros.html' import pagination %}{{ pagination(1, 3, url) }}"
    with app.test_request_context("/?lang=en"):
        html = render_template_string(page, url=lambda page: f"/x?page={page}")
    assert "Next" in html and "/x?page=2" in html
    with app.test_request_context("/"):
        assert "下一页" in render_template_string(page, url=lambda page: f"/x?page={page}")
