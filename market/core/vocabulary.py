"""The base of every closed vocabulary: a StrEnum whose members carry Chinese and English labels."""

from __future__ import annotations

from enum import StrEnum


class Labelled(StrEnum):
    """A StrEnum whose members carry a (zh, en) label; every subclass is found by name (`by_name`)."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _REGISTRY[cls.__name__] = cls

    def __new__(cls, value: str, zh: str = "", en: str = ""):
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.zh = zh
        obj.en = en
        return obj

    def label(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh

    @classmethod
    def choices(cls, lang: str = "zh") -> list[tuple[str, str]]:
        return [(m.value, m.label(lang)) for m in cls]

    @staticmethod
    def by_name(name: str) -> type[Labelled] | None:
        """The vocabulary of that class name, wherever it is defined (templates label stored values)."""
        return _REGISTRY.get(name)


_REGISTRY: dict[str, type[Labelled]] = {}
