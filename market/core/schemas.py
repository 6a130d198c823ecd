"""Shared marshmallow pieces: a base schema and Chinese texts for marshmallow's own messages."""

from __future__ import annotations

import unicodedata
from datetime import UTC

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate
from werkzeug.datastructures import MultiDict

from market.core.errors import DomainError
from market.core.i18n import get_lang

# marshmallow's built-in messages, in Chinese (the UI's first language).
ZH = {
    "Missing data for required field.": "此项为必填",
    "Field may not be null.": "此项不能为空",
    "Not a valid string.": "须为文本",
    "Not a valid integer.": "须为整数",
    "Not a valid number.": "须为数字",
    "Not a valid boolean.": "须为是或否",
    "Not a valid date.": "日期格式无效，请用 YYYY-MM-DD",
    "Not a valid email address.": "电子邮箱格式无效",
    "Not a valid list.": "须为列表",
    "Unknown field.": "未知字段",
    "Must be one of: {choices}.": "须为以下之一：{choices}",
    "Invalid input type.": "输入类型无效",
}


class BaseSchema(Schema):
    class Meta:
        unknown = EXCLUDE


def localise(errors: dict | list | str) -> dict | list | str:
    """Translate marshmallow's English messages when the user reads Chinese."""
    if get_lang() == "en":
        return errors
    if isinstance(errors, dict):
        return {k: localise(v) for k, v in errors.items()}
    if isinstance(errors, list):
        return [localise(e) for e in errors]
    if isinstance(errors, str):
        if errors in ZH:
            return ZH[errors]
        if errors.startswith("Must be one of:"):
            return "须为以下之一：" + errors.removeprefix("Must be one of:").strip().rstrip(".")
        if errors.startswith("Length must be"):
            return "长度不符合要求（" + errors + "）"
        if errors.startswith("Must be greater than or equal to"):
            return "数值过小（" + errors + "）"
    return errors


def load(schema: Schema, data) -> tuple[dict, dict]:
    """Load `data`; return (valid values, localised errors) and never raise."""
    try:
        return schema.load(data), {}
    except ValidationError as err:
        valid = err.valid_data if isinstance(err.valid_data, dict) else {}
        return valid, localise(err.messages)


class TrimmedString(fields.String):
    """A string with surrounding whitespace removed; empty means missing when required."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        return text.strip() if text is not None else text


# -- shared fields, limits and query arguments ---------------------------------------------------

# Integer columns are 32-bit on PostgreSQL: a larger id or price would fail in the database
# instead of being refused here.
MAX_INT = 2**31 - 1


# Prices are 64-bit fen; ¥100 billion is beyond any patent deal and catches typos.
MAX_PRICE_FEN = 10**13


# Deep pages cost a full scan and nobody reads them; the bound also keeps offsets in range.
MAX_PAGE = 10_000


MAX_PER_PAGE = 100


# Documented patterns (ECMA 262), so that generated clients and contract tests send what we take.
NO_NUL = r"^[^\u0000]*$"


# Not blank once trimmed (str.strip's whitespace is a little wider than \s) and without NUL.
NOT_BLANK = r"^[^\u0000]*[^\s\u0000\u001c-\u001f\u0085][^\u0000]*$"


def _values(enum) -> list[str]:
    return [m.value for m in enum]


class Storable(validate.Validator):
    """Refuse NUL and lone surrogates, which PostgreSQL and SQLite cannot store."""

    json_schema = {"pattern": NO_NUL}

    def __call__(self, value: str) -> str:
        if "\x00" in value or any("\ud800" <= c <= "\udfff" for c in value):
            raise ValidationError("Contains characters that cannot be stored.")
        return value


def ascii_digits(value: str) -> None:
    """Digits of other scripts look like numbers to regular expressions but are not numbers here."""
    if any(c.isdigit() and not c.isascii() for c in unicodedata.normalize("NFKC", value)):
        raise ValidationError("Use the digits 0-9.")


printable = Storable()


def text_field(max_length: int, *, required: bool = False, **kwargs) -> TrimmedString:
    if required:
        return TrimmedString(required=True, validate=[validate.Length(min=1, max=max_length), printable],
                             metadata={"pattern": NOT_BLANK}, **kwargs)
    return TrimmedString(validate=[validate.Length(max=max_length), printable], **kwargs)


class JsonBoolean(fields.Boolean):
    """true or false only: in a JSON body, 0, 1 or "yes" is a client's mistake, not a boolean."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class UtcDateTime(fields.DateTime):
    """Timestamps are stored naive in UTC; say so in the output (RFC 3339 needs an offset)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


class PagingArgsSchema(BaseSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE),
                          metadata={"description": "Page number, from 1."})
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1),
                              metadata={"description": f"Items per page; above {MAX_PER_PAGE} "
                                                       f"counts as {MAX_PER_PAGE}."})

    @post_load
    def clamp(self, data, **kwargs):
        data["per_page"] = min(data["per_page"], MAX_PER_PAGE)
        return data


def load_args(schema: BaseSchema, args: MultiDict) -> dict:
    """Load query arguments (list fields take every repeat); a bad one is a 400 naming it."""
    data = {name: args.getlist(name) if isinstance(field, fields.List) else args.get(name)
            for name, field in schema.fields.items() if name in args}
    try:
        return schema.load(data)
    except ValidationError as err:
        name, detail = next(iter(localise(err.messages).items()))
        while isinstance(detail, (dict, list)) and detail:  # a list field reports per item
            detail = next(iter(detail.values())) if isinstance(detail, dict) else detail[0]
        raise DomainError("bad_query", f"参数 {name} 无效：{detail}",
                          f"The query parameter {name} is invalid: {detail}",
                          field=name, status=400) from None
