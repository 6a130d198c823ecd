"""marshmallow's messages in the page's language, the limit named, and plain "required" for nothing typed."""

from __future__ import annotations

import pytest
from marshmallow import fields, validate

from market.core.schemas import BaseSchema, TrimmedString, load


class _Form(BaseSchema):
    name = TrimmedString(validate=validate.Length(min=1, max=80))
    note = fields.String(validate=validate.Length(min=10, max=5000))


@pytest.mark.parametrize("lang, required, limits", [
    ("zh", "此项为必填", "长度须在 10 至 5,000 个字符之间"),
    ("en", "This field is required.", "Must be 10 to 5,000 characters long."),
])
def test_nothing_typed_is_required_and_too_little_names_the_limit(app, lang, required, limits):
    with app.test_request_context(f"/?lang={lang}"):
        _valid, errors = load(_Form(), {"name": "  ", "note": "短"})
    assert errors == {"name": [required], "note": [limits]}
