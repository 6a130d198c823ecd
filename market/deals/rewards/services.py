"""The statutory floor of contributors' rewards (R-ST-5; STL 45, SH 34). Pure: no Flask, no database.

When a unit has no reward scheme of its own (and, for state-established universities and
institutes, whatever their scheme says), the people who made and transferred a service
invention get at least a share of the net income of a transfer or licence, or of the equity an
investment formed: 50% nationally (STL 45), 70% in Shanghai (SH 34). Net income is the income
less taxes, maintenance costs and evaluation costs (SH 34 ¶2). Money is integer fen; shares are
Decimals; fen are rounded half up; a loss gives a floor of nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from market.core import money
from market.core.errors import DomainError
from market.core.numbers import NotANumber, parse_decimal

NATIONAL_MIN_PCT = Decimal("50")  # STL 45 (1)-(3)
SHANGHAI_MIN_PCT = Decimal("70")  # SH 34 ¶1
MAX_FEN = 10**15  # ten trillion yuan: far above any deal, well inside BigInteger
INCOME, EQUITY = "INCOME", "EQUITY"
COST_FIELDS = ("taxes_fen", "maintenance_fen", "evaluation_fen")


@dataclass(frozen=True)
class Costs:
    """What SH 34 ¶2 lets the unit deduct from the income, in fen."""

    taxes_fen: int = 0
    maintenance_fen: int = 0
    evaluation_fen: int = 0

    @property
    def total_fen(self) -> int:
        return self.taxes_fen + self.maintenance_fen + self.evaluation_fen

    @classmethod
    def from_dict(cls, data: dict | None) -> Costs:
        data = data or {}
        return cls(**{name: int(data.get(name) or 0) for name in COST_FIELDS})

    def to_dict(self) -> dict:
        return {name: getattr(self, name) for name in COST_FIELDS}


@dataclass(frozen=True)
class RewardFloor:
    basis: str  # INCOME (transfer or licence money) or EQUITY (shares formed by an investment)
    min_pct: Decimal
    national_pct: Decimal
    income_fen: int = 0
    costs: Costs = Costs()
    net_income_fen: int = 0  # negative when the costs exceed the income
    floor_fen: int = 0  # the contributors' minimum, in fen (for EQUITY: of the agreed value)
    national_floor_fen: int = 0
    share_pct: Decimal | None = None  # EQUITY: the shares the patent bought, % of the investee
    floor_share_pct: Decimal | None = None  # EQUITY: the contributors' minimum of them, % of the investee
    value_fen: int | None = None  # EQUITY: the agreed value of the contribution


def effective_pct(configured: Decimal | str | int | None) -> Decimal:
    """The district's minimum share, never below the national floor nor above everything."""
    pct = SHANGHAI_MIN_PCT if configured in (None, "") else _decimal(configured)
    return min(max(pct, NATIONAL_MIN_PCT), Decimal("100"))


def share_fen(amount_fen: int, pct: Decimal) -> int:
    """`pct` percent of `amount_fen`, rounded half up to the fen; nothing of a loss."""
    if amount_fen <= 0:
        return 0
    return int((Decimal(amount_fen) * pct / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def income_floor(income_fen: int, costs: Costs, min_pct: Decimal = SHANGHAI_MIN_PCT) -> RewardFloor:
    """The floor on a transfer's or licence's net income (STL 45 (1)-(2); SH 34)."""
    min_pct = effective_pct(min_pct)
    net = income_fen - costs.total_fen
    return RewardFloor(INCOME, min_pct, NATIONAL_MIN_PCT, income_fen=income_fen, costs=costs, net_income_fen=net,
                       floor_fen=share_fen(net, min_pct), national_floor_fen=share_fen(net, NATIONAL_MIN_PCT))


def equity_floor(share_pct: Decimal | str | None, value_fen: int | None,
                 min_pct: Decimal = SHANGHAI_MIN_PCT) -> RewardFloor:
    """The floor on the equity an investment formed (STL 45 (2); SH 34): shares and their value."""
    min_pct = effective_pct(min_pct)
    share = _decimal(share_pct) if share_pct not in (None, "") else None
    return RewardFloor(EQUITY, min_pct, NATIONAL_MIN_PCT, share_pct=share,
                       floor_share_pct=_normal(share * min_pct / 100) if share is not None else None,
                       value_fen=value_fen,
                       floor_fen=share_fen(value_fen or 0, min_pct),
                       national_floor_fen=share_fen(value_fen or 0, NATIONAL_MIN_PCT))


def parse_yuan(text: str | None, field: str) -> int:
    """An amount typed in yuan (up to two decimals, thousands separators allowed) as fen; empty is 0."""
    try:
        fen = money.parse_yuan(text, max_fen=MAX_FEN)
    except money.AmountError as err:
        if err.reason == "too_large":
            raise DomainError("reward.amount_too_large", "金额过大。", "The amount is too large.", field=field) from None
        raise DomainError("reward.amount", "请填写不小于 0 的金额（元），最多两位小数。",
                          "Enter an amount in yuan, 0 or more, with at most two decimals.", field=field) from None
    return fen or 0


def pct_text(pct: Decimal | None) -> str:
    return "" if pct is None else format(_normal(pct), "f")


def explanation(floor: RewardFloor, lang: str = "zh") -> list[str]:
    """How the floor was reached, sentence by sentence, in the reader's language."""
    national, local = pct_text(floor.national_pct), pct_text(floor.min_pct)
    if floor.basis == EQUITY:
        if lang == "en":
            return [f"With no scheme of the unit, contributors receive at least {national}% of the shares or "
                    "capital an investment of the achievement formed (STL art. 45); Shanghai sets at least "
                    f"{local}% (Shanghai Regulations art. 34)."]
        return [f"单位未规定、也未与科技人员约定的，从作价投资形成的股份或出资比例中提取不低于{national}%"
                f"用于奖励（促进科技成果转化法第45条）；上海市规定不低于{local}%（上海市促进科技成果转化条例第34条）。"]
    if lang == "en":
        return [f"With no scheme of the unit, contributors receive at least {national}% of the net income of a "
                f"transfer or licence (STL art. 45); Shanghai sets at least {local}% (Shanghai Regulations art. 34).",
                "Net income = income received − taxes − maintenance costs − evaluation/appraisal costs "
                "(Shanghai Regulations art. 34(2)); when it is not positive there is nothing to share."]
    return [f"单位未规定、也未与科技人员约定的，从转让、许可净收入中提取不低于{national}%用于奖励"
            f"（促进科技成果转化法第45条）；上海市规定不低于{local}%（上海市促进科技成果转化条例第34条）。",
            "净收入 = 实际到账收入 − 税费 − 维护费用 − 评估评价费用（上海市促进科技成果转化条例第34条第2款）；"
            "净收入不为正数时无可提取。"]


def _decimal(value) -> Decimal:
    try:
        return parse_decimal(value)
    except NotANumber:
        raise ValueError(f"not a finite decimal: {value!r}") from None


def _normal(value: Decimal) -> Decimal:
    """7.000 → 7, 7.350 → 7.35 (never 7E+1)."""
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral() else normal
