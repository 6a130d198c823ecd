"""Shared marshmallow pieces: a base schema and Chinese texts for marshmallow's own messages."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields

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
