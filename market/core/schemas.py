"""Shared marshmallow pieces: a base schema and Chinese texts for marshmallow's own messages."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC
from decimal import Decimal, InvalidOperation

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate
from werkzeug.datastructures import MultiDict

from market.core.errors import DomainError
from market.core.i18n import get_lang

# marshmallow's fixed messages, in both languages (its own English reads like a stack trace to a user).
MESSAGES = {
    "Missing data for required field.": ("此项为必填", "This field is required."),
    "Field may not be null.": ("此项不能为空", "This field may not be empty."),
    "Not a valid string.": ("须为文本", "Must be text."),
    "Not a valid integer.": ("须为整数", "Must be a whole number."),
    "Not a valid number.": ("须为数字", "Must be a number."),
    "Number too large.": ("数值过大", "The number is too large."),
    "Special numeric values (nan or infinity) are not permitted.": ("须为有限的数字", "Must be a finite number."),
    "Not a valid boolean.": ("须为是或否", "Must be true or false."),
    "Not a valid date.": ("日期格式无效，请用 YYYY-MM-DD", "Not a valid date; use YYYY-MM-DD."),
    "Not a valid datetime.": ("时间格式无效，请用 ISO 8601", "Not a valid date and time; use ISO 8601."),
    "Not a valid email address.": ("电子邮箱格式无效", "Not a valid e-mail address."),
    "Not a valid URL.": ("网址格式无效", "Not a valid URL."),
    "Not a valid list.": ("须为列表", "Must be a list."),
    "Not a valid mapping type.": ("须为对象（键值对）", "Must be an object."),
    "Unknown field.": ("未知字段", "Unknown field."),
    "Invalid input type.": ("输入类型无效", "Invalid input type."),
    "Invalid value.": ("取值无效", "Invalid value."),
    "Invalid input.": ("输入无效", "Invalid input."),
    "String does not match expected pattern.": ("格式不符合要求", "The format is not accepted."),
    "Contains characters that cannot be stored.": ("含有无法保存的字符（如 NUL）", "Contains characters that cannot be stored."),
    "Use the digits 0-9.": ("请使用数字 0-9", "Use the digits 0-9."),
}


class BaseSchema(Schema):
    class Meta:
        unknown = EXCLUDE


def _n(text: str) -> str:
    """A limit as people read it: 5000 → 5,000 (marshmallow prints the bare number)."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    return f"{number:,}"


# marshmallow's messages that carry a limit: the limit is named in either language.
_LENGTH = [
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"),
     lambda m: (f"长度须在 {_n(m[1])} 至 {_n(m[2])} 个字符之间", f"Must be {_n(m[1])} to {_n(m[2])} characters long.")),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"),
     lambda m: (f"长度过短，至少 {_n(m[1])} 个字符", f"Too short: at least {_n(m[1])} characters.")),
    (re.compile(r"^Longer than maximum length (\d+)\.$"),
     lambda m: (f"长度过长，最多 {_n(m[1])} 个字符", f"Too long: at most {_n(m[1])} characters.")),
    (re.compile(r"^Length must be (\d+)\.$"),
     lambda m: (f"长度须为 {_n(m[1])} 个字符", f"Must be exactly {_n(m[1])} characters long.")),
    (re.compile(r"^Must be one of: (.*?)\.?$"),
     lambda m: (f"须为以下之一：{m[1]}", f"Must be one of: {m[1]}.")),
]
_GT = r"greater than(?: or equal to)?"
_LT = r"less than(?: or equal to)?"
_RANGE_ALL = re.compile(rf"^Must be ({_GT}) (\S+) and ({_LT}) (\S+)\.$")
_RANGE_MIN = re.compile(rf"^Must be ({_GT}) (\S+)\.$")
_RANGE_MAX = re.compile(rf"^Must be ({_LT}) (\S+)\.$")


def _too_small(op: str, bound: str) -> tuple[str, str]:
    if op.endswith("equal to"):
        return f"数值过小，最小为 {_n(bound)}", f"Too small: the minimum is {_n(bound)}."
    return f"数值过小，须大于 {_n(bound)}", f"Too small: must be more than {_n(bound)}."


def _too_large(op: str, bound: str) -> tuple[str, str]:
    if op.endswith("equal to"):
        return f"数值过大，最大为 {_n(bound)}", f"Too large: the maximum is {_n(bound)}."
    return f"数值过大，须小于 {_n(bound)}", f"Too large: must be less than {_n(bound)}."


def _range(message: str, value) -> tuple[str, str] | None:
    """A Range message says which side was crossed; marshmallow's says both bounds whichever it was."""
    if m := _RANGE_MIN.match(message):
        return _too_small(m[1], m[2])
    if m := _RANGE_MAX.match(message):
        return _too_large(m[1], m[2])
    if m := _RANGE_ALL.match(message):
        try:
            number = Decimal(str(value))
            if number > Decimal(m[4]) or (number == Decimal(m[4]) and not m[3].endswith("equal to")):
                return _too_large(m[3], m[4])
            return _too_small(m[1], m[2])
        except (InvalidOperation, ValueError):
            return (f"数值须在 {_n(m[2])} 至 {_n(m[4])} 之间",
                    f"Must be between {_n(m[2])} and {_n(m[4])}.")
    return None


def _translate(message: str, value=None) -> str:
    """One message in the request's language, with the limit it broke."""
    lang = get_lang()
    if message in MESSAGES:
        return MESSAGES[message][lang == "en"]
    if _LENGTH[0][0].match(message) or _LENGTH[1][0].match(message):
        if value is None or (isinstance(value, str) and not value.strip()):
            # Nothing typed: "must be 1 to 80 characters" reads as a riddle; it is simply required.
            return MESSAGES["Missing data for required field."][lang == "en"]
    for pattern, texts in _LENGTH:
        if m := pattern.match(message):
            return texts(m)[lang == "en"]
    if (texts := _range(message, value)) is not None:
        return texts[lang == "en"]
    # "中文 / English" messages written for both: keep the page's half.
    zh, sep, en = message.partition(" / ")
    if sep and re.search(r"[\u4e00-\u9fff]", zh) and not re.search(r"[\u4e00-\u9fff]", en):
        return en if lang == "en" else zh
    return message


def localise(errors: dict | list | str, data=None) -> dict | list | str:
    """marshmallow's messages in the request's language; `data` (the input) tells a Range which bound failed."""
    if isinstance(errors, dict):
        return {k: localise(v, _value_of(data, k)) for k, v in errors.items()}
    if isinstance(errors, list):
        return [localise(e, data) for e in errors]
    if isinstance(errors, str):
        return _translate(errors, data)
    return errors


def _value_of(data, key):
    """The input under `key` (an item index of a list, or a field of a mapping), if any."""
    if isinstance(data, dict) or hasattr(data, "getlist"):
        return data.get(key)
    if isinstance(data, list) and isinstance(key, int) and 0 <= key < len(data):
        return data[key]
    return None


def load(schema: Schema, data) -> tuple[dict, dict]:
    """Load `data`; return (valid values, localised errors) and never raise."""
    try:
        return schema.load(data), {}
    except ValidationError as err:
        valid = err.valid_data if isinstance(err.valid_data, dict) else {}
        return valid, localise(err.messages, data)


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
        name, detail = next(iter(localise(err.messages, data).items()))
        while isinstance(detail, (dict, list)) and detail:  # a list field reports per item
            detail = next(iter(detail.values())) if isinstance(detail, dict) else detail[0]
        raise DomainError("bad_query", f"参数 {name} 无效：{detail}",
                          f"The query parameter {name} is invalid: {detail}",
                          field=name, status=400) from None
