"""Fee terms (许可使用费) and what they make payable (CC 846; OL24; domain.md §2.1). Pure: no Flask.

Terms are stored as a plain dict (JSON) on declarations, offers and deals; `FeeTerms` parses and
validates that dict, computes the sums due, and describes the terms in words for the contract.
Money is integer fen; royalty rates are decimal percentages and results round half up to a fen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from market.core.errors import DomainError
from market.core.money import yuan_grouped
from market.core.numbers import NotANumber, parse_decimal
from market.core.time import add_months
from market.deals.vocabulary import FeeMode, PaymentKind, PaymentPeriod, RateSchedule, RoyaltyBase

# OL24 "一般不高于": fixed fees ≤ ¥20 m, royalty ≤ 20 % of net sales or ≤ 40 % of profit.
DEFAULT_CAPS = {"fixed_fen": 20_000_000 * 100, "net_sales_pct": Decimal("20"), "profit_pct": Decimal("40")}
PERIOD_MONTHS = {PaymentPeriod.ANNUAL: 12, PaymentPeriod.HALF_YEARLY: 6, PaymentPeriod.QUARTERLY: 3}
MAX_FEN = 10**15  # ¥10 trillion: far above any real deal, well inside a 64-bit column


def _error(code: str, zh: str, en: str, field_name: str) -> DomainError:
    return DomainError(f"fees.{code}", zh, en, field=field_name)


@dataclass(frozen=True)
class Instalment:
    amount_fen: int
    months_after_start: int  # due this many months after the licence's effective date


@dataclass(frozen=True)
class FeeTerms:
    mode: FeeMode
    lump_fen: int | None = None
    instalments: tuple[Instalment, ...] = ()
    entry_fee_fen: int | None = None
    royalty_base: RoyaltyBase | None = None
    royalty_base_note: str = ""
    royalty_rate: Decimal | None = None  # percent
    rate_schedule: RateSchedule = RateSchedule.FIXED
    rate_step: Decimal = Decimal("0")  # percentage points per contract year
    min_annual_fen: int | None = None
    payment_period: PaymentPeriod = PaymentPeriod.ANNUAL
    report_due_days: int = 30  # the royalty report is due this many days after a period ends
    payment_due_days: int = 30  # fixed sums and royalties are due this many days after they arise
    audit_right: bool = True  # CC 846 ¶3: the licensor may inspect the books the royalty rests on
    extra: dict = field(default_factory=dict, compare=False)

    # ---- parsing -------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: dict | None) -> FeeTerms:
        """Parse and validate; raise DomainError naming the first wrong field."""
        data = data or {}
        try:
            mode = FeeMode(str(data.get("mode", "")).upper())
        except ValueError:
            raise _error("mode", "请选择许可使用费的支付方式。", "Choose how the fee is paid.", "mode") from None
        terms = cls(
            mode=mode,
            lump_fen=_fen(data.get("lump_fen"), "lump_fen"),
            instalments=tuple(_instalment(i, x) for i, x in enumerate(data.get("instalments") or [])),
            entry_fee_fen=_fen(data.get("entry_fee_fen"), "entry_fee_fen"),
            royalty_base=_enum(RoyaltyBase, data.get("royalty_base"), "royalty_base"),
            royalty_base_note=str(data.get("royalty_base_note") or "")[:200],
            royalty_rate=_rate(data.get("royalty_rate"), "royalty_rate"),
            rate_schedule=_enum(RateSchedule, data.get("rate_schedule"), "rate_schedule") or RateSchedule.FIXED,
            rate_step=_rate(data.get("rate_step"), "rate_step") or Decimal("0"),
            min_annual_fen=_fen(data.get("min_annual_fen"), "min_annual_fen"),
            payment_period=_enum(PaymentPeriod, data.get("payment_period"), "payment_period")
            or PaymentPeriod.ANNUAL,
            report_due_days=_days(data.get("report_due_days"), 30, "report_due_days"),
            payment_due_days=_days(data.get("payment_due_days"), 30, "payment_due_days"),
            audit_right=bool(data.get("audit_right", True)),
        )
        terms.validate()
        return terms

    def to_dict(self) -> dict:
        out: dict = {"mode": self.mode.value}
        if self.lump_fen is not None:
            out["lump_fen"] = self.lump_fen
        if self.instalments:
            out["instalments"] = [{"amount_fen": i.amount_fen, "months_after_start": i.months_after_start}
                                  for i in self.instalments]
        if self.entry_fee_fen is not None:
            out["entry_fee_fen"] = self.entry_fee_fen
        if self.has_royalty:
            out.update(royalty_base=self.royalty_base.value, royalty_rate=str(self.royalty_rate),
                       rate_schedule=self.rate_schedule.value, rate_step=str(self.rate_step),
                       payment_period=self.payment_period.value, report_due_days=self.report_due_days)
            if self.royalty_base_note:
                out["royalty_base_note"] = self.royalty_base_note
            if self.min_annual_fen is not None:
                out["min_annual_fen"] = self.min_annual_fen
        out["payment_due_days"] = self.payment_due_days
        out["audit_right"] = self.audit_right
        return out

    def validate(self) -> None:
        m = self.mode
        if m in (FeeMode.LUMP_SUM, FeeMode.INSTALLMENTS) and not self.lump_fen:
            raise _error("lump_required", "请填写许可使用费总额。", "Enter the total fee.", "lump_fen")
        if m == FeeMode.INSTALLMENTS:
            if len(self.instalments) < 2:
                raise _error("instalments_required", "分期支付至少需要两期。",
                             "Instalments need at least two payments.", "instalments")
            if sum(i.amount_fen for i in self.instalments) != self.lump_fen:
                raise _error("instalments_sum", "各期金额之和必须等于许可使用费总额。",
                             "The instalments must add up to the total fee.", "instalments")
        if m == FeeMode.ENTRY_PLUS_ROYALTY and not self.entry_fee_fen:
            raise _error("entry_required", "请填写入门费金额。", "Enter the entry fee.", "entry_fee_fen")
        if self.has_royalty:
            if self.royalty_base is None:
                raise _error("base_required", "请选择提成基数（如净销售额、利润）。",
                             "Choose what the royalty is computed on (net sales, profit...).", "royalty_base")
            if self.royalty_base == RoyaltyBase.OTHER and not self.royalty_base_note:
                raise _error("base_note_required", "提成基数为“其他”时请说明具体基数。",
                             "Describe the royalty base when it is “other”.", "royalty_base_note")
            if self.royalty_rate is None or self.royalty_rate <= 0:
                raise _error("rate_required", "请填写大于0的提成比例。",
                             "Enter a royalty rate above 0.", "royalty_rate")
            if self.royalty_rate > 100:
                raise _error("rate_range", "提成比例不能超过100%。", "A royalty rate cannot exceed 100%.",
                             "royalty_rate")
            if self.rate_schedule != RateSchedule.FIXED and self.rate_step <= 0:
                raise _error("step_required", "逐年递增或递减时请填写每年变动的百分点。",
                             "Enter the yearly change for an increasing or decreasing rate.", "rate_step")

    # ---- what it means -------------------------------------------------------------------
    @property
    def has_royalty(self) -> bool:
        return self.mode in (FeeMode.ROYALTY, FeeMode.ENTRY_PLUS_ROYALTY)

    @property
    def fixed_total_fen(self) -> int:
        """The fixed part of the fee (lump sum or entry fee); royalties come on top."""
        if self.mode in (FeeMode.LUMP_SUM, FeeMode.INSTALLMENTS):
            return self.lump_fen or 0
        if self.mode == FeeMode.ENTRY_PLUS_ROYALTY:
            return self.entry_fee_fen or 0
        return 0

    def upfront_schedule(self, start: date) -> list[tuple[PaymentKind, int, int, date]]:
        """(kind, sequence, amount in fen, due date) of the fixed sums, from the effective date."""
        due = timedelta(days=self.payment_due_days)
        if self.mode == FeeMode.LUMP_SUM:
            return [(PaymentKind.LUMP_SUM, 1, self.lump_fen, start + due)]
        if self.mode == FeeMode.INSTALLMENTS:
            return [(PaymentKind.INSTALLMENT, n, i.amount_fen, add_months(start, i.months_after_start) + due)
                    for n, i in enumerate(self.instalments, start=1)]
        if self.mode == FeeMode.ENTRY_PLUS_ROYALTY:
            return [(PaymentKind.ENTRY_FEE, 1, self.entry_fee_fen, start + due)]
        return []

    def rate_for_year(self, contract_year: int) -> Decimal:
        """The royalty rate in the given contract year (1 = the first), following the schedule."""
        rate = self.royalty_rate or Decimal("0")
        if self.rate_schedule == RateSchedule.YEARLY_INCREASING:
            rate += self.rate_step * (contract_year - 1)
        elif self.rate_schedule == RateSchedule.YEARLY_DECREASING:
            rate -= self.rate_step * (contract_year - 1)
        return min(max(rate, Decimal("0")), Decimal("100"))

    def royalty_due(self, base_amount_fen: int, contract_year: int = 1) -> int:
        """Royalty for one period: base × rate, rounded half up to the fen."""
        if not self.has_royalty:
            return 0
        if base_amount_fen < 0:
            raise _error("base_negative", "提成基数不能为负数。", "The royalty base cannot be negative.",
                         "base_amount_fen")
        amount = Decimal(base_amount_fen) * self.rate_for_year(contract_year) / Decimal(100)
        return int(amount.quantize(Decimal("1"), rounding=ROUND_HALF_UP))

    def royalty_periods(self, start: date, end: date) -> list[tuple[date, date, date, int]]:
        """(period start, period end, report due date, contract year) for each reporting period."""
        if not self.has_royalty:
            return []
        months = PERIOD_MONTHS[self.payment_period]
        periods, n = [], 0
        while True:
            p_start = add_months(start, months * n)
            if p_start > end:
                break
            p_end = min(add_months(start, months * (n + 1)) - timedelta(days=1), end)
            year = (months * n) // 12 + 1
            periods.append((p_start, p_end, p_end + timedelta(days=self.report_due_days), year))
            n += 1
        return periods

    def cap_warnings(self, caps: dict | None = None) -> list[tuple[str, str]]:
        """OL24's "generally not higher than" limits, as warnings (domain.md §7.6: configurable)."""
        caps = {**DEFAULT_CAPS, **(caps or {})}
        out = []
        fixed = self.fixed_total_fen
        if fixed > caps["fixed_fen"]:
            out.append((f"固定费用超过开放许可一般上限（{caps['fixed_fen'] // 1_000_000}万元）。",
                        f"The fixed fee exceeds the usual open-licence limit "
                        f"(¥{caps['fixed_fen'] // 100:,})."))
        if self.has_royalty:
            top = max(self.rate_for_year(y) for y in range(1, 21))
            if self.royalty_base in (RoyaltyBase.NET_SALES, RoyaltyBase.SALES) and top > caps["net_sales_pct"]:
                out.append((f"提成比例超过开放许可一般上限（净销售额的{caps['net_sales_pct']}%）。",
                            f"The royalty exceeds the usual open-licence limit "
                            f"({caps['net_sales_pct']}% of net sales)."))
            if self.royalty_base == RoyaltyBase.PROFIT and top > caps["profit_pct"]:
                out.append((f"提成比例超过开放许可一般上限（利润的{caps['profit_pct']}%）。",
                            f"The royalty exceeds the usual open-licence limit ({caps['profit_pct']}% of profit)."))
        return out

    def describe(self, lang: str = "zh") -> str:
        """The fee standard in words, as printed in a declaration or contract."""
        zh = lang != "en"

        def money(fen: int) -> str:
            return f"{yuan_grouped(fen)}元" if zh else f"¥{yuan_grouped(fen)}"

        parts = []
        if self.mode == FeeMode.FREE:
            return "免费许可，不收取许可使用费" if zh else "Free of charge"
        if self.mode == FeeMode.LUMP_SUM:
            parts.append(f"一次总算、一次总付{money(self.lump_fen)}" if zh
                         else f"a lump sum of {money(self.lump_fen)}, paid at once")
        if self.mode == FeeMode.INSTALLMENTS:
            steps = "；".join(f"第{n}期{money(i.amount_fen)}（生效后{i.months_after_start}个月内）"
                             for n, i in enumerate(self.instalments, 1)) if zh else "; ".join(
                f"#{n} {money(i.amount_fen)} ({i.months_after_start} months after start)"
                for n, i in enumerate(self.instalments, 1))
            parts.append(f"一次总算{money(self.lump_fen)}，分{len(self.instalments)}期支付：{steps}" if zh
                         else f"a total of {money(self.lump_fen)} in {len(self.instalments)} instalments: {steps}")
        if self.mode == FeeMode.ENTRY_PLUS_ROYALTY:
            parts.append(f"入门费{money(self.entry_fee_fen)}" if zh else f"an entry fee of {money(self.entry_fee_fen)}")
        if self.has_royalty:
            base = self.royalty_base.label("en" if not zh else "zh")
            if self.royalty_base_note:
                base = f"{base}（{self.royalty_base_note}）" if zh else f"{base} ({self.royalty_base_note})"
            period = self.payment_period.label("zh" if zh else "en")
            sched = ""
            if self.rate_schedule == RateSchedule.YEARLY_INCREASING:
                sched = f"，此后每年递增{self.rate_step}个百分点" if zh else f", rising {self.rate_step} points a year"
            elif self.rate_schedule == RateSchedule.YEARLY_DECREASING:
                sched = f"，此后每年递减{self.rate_step}个百分点" if zh else f", falling {self.rate_step} points a year"
            parts.append(f"按{base}的{self.royalty_rate}%提成{sched}，{period}结算" if zh
                         else f"a royalty of {self.royalty_rate}% of {base.lower()}{sched}, settled {period.lower()}")
            if self.min_annual_fen:
                parts.append(f"每年最低{money(self.min_annual_fen)}" if zh
                             else f"at least {money(self.min_annual_fen)} a year")
        return ("；" if zh else "; ").join(parts)


def _fen(value, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        fen = int(value)
    except (TypeError, ValueError):
        raise _error("amount_invalid", "金额必须是以“分”为单位的整数。", "Amounts must be whole fen.", name) from None
    if isinstance(value, float) and value != fen:
        raise _error("amount_invalid", "金额必须是以“分”为单位的整数。", "Amounts must be whole fen.", name)
    if fen <= 0 or fen > MAX_FEN:
        raise _error("amount_range", "金额必须大于0且在合理范围内。", "Amounts must be above 0 and realistic.", name)
    return fen


def _rate(value, name: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        rate = parse_decimal(str(value).strip().rstrip("%"))
    except NotANumber:
        raise _error("rate_invalid", "比例必须是数字（百分比）。", "Rates must be numbers (percent).", name) from None
    if not rate.is_finite() or rate < 0 or rate.as_tuple().exponent < -4:
        raise _error("rate_invalid", "比例必须是不小于0的数字，最多4位小数。",
                     "Rates must be 0 or more, with at most 4 decimals.", name)
    return rate


def _days(value, default: int, name: str) -> int:
    if value in (None, ""):
        return default
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise _error("days_invalid", "天数必须是整数。", "Days must be a whole number.", name) from None
    if not 0 <= days <= 366:
        raise _error("days_range", "天数必须在0到366之间。", "Days must be between 0 and 366.", name)
    return days


def _enum(enum, value, name: str):
    if value in (None, ""):
        return None
    try:
        return enum(str(value).upper())
    except ValueError:
        raise _error("choice_invalid", "所选项目无效。", "That choice is not valid.", name) from None


def _instalment(index: int, raw) -> Instalment:
    if not isinstance(raw, dict):
        raise _error("instalment_invalid", "分期信息格式不正确。", "An instalment is malformed.", "instalments")
    amount = _fen(raw.get("amount_fen"), "instalments")
    if amount is None:
        raise _error("instalment_amount", f"第{index + 1}期缺少金额。", f"Instalment {index + 1} has no amount.",
                     "instalments")
    months = raw.get("months_after_start", 0)
    try:
        months = int(months)
    except (TypeError, ValueError):
        raise _error("instalment_months", "分期的付款月数必须是整数。", "Instalment months must be whole.",
                     "instalments") from None
    if not 0 <= months <= 240:
        raise _error("instalment_months", "分期的付款月数必须在0到240之间。",
                     "Instalment months must be between 0 and 240.", "instalments")
    return Instalment(amount, months)
