"""The closed vocabularies of the domain, each value with its Chinese and English label.

Values are stored as their upper-case names (domain.md §1, §2, §3.1).
"""

from __future__ import annotations

from market.accounts.vocabulary import OrgStatus, OrgType, Role, SoeLevel  # noqa: F401  (re-exported)
from market.core.vocabulary import Labelled


class PatentType(Labelled):
    INVENTION = "INVENTION", "发明", "Invention"
    UTILITY_MODEL = "UTILITY_MODEL", "实用新型", "Utility model"
    DESIGN = "DESIGN", "外观设计", "Design"


class LegalStatus(Labelled):
    PENDING = "PENDING", "审中", "Pending"
    VALID = "VALID", "有效", "In force"
    FEE_GRACE = "FEE_GRACE", "有效(年费滞纳期)", "In force (fee grace period)"
    LAPSED = "LAPSED", "失效", "Lapsed"
    # An import whose status cell was empty: nobody has said, so neither 审中 nor 有效 (issue 15 #12).
    UNKNOWN = "UNKNOWN", "未知（待核实）", "Unknown (to be checked)"


class LapseReason(Labelled):
    EXPIRED = "EXPIRED", "期限届满", "Term expired"
    FEE_UNPAID = "FEE_UNPAID", "未缴年费终止", "Annual fee unpaid"
    ABANDONED = "ABANDONED", "放弃", "Abandoned"
    INVALIDATED = "INVALIDATED", "全部无效", "Invalidated"
    REJECTED = "REJECTED", "驳回", "Rejected"
    WITHDRAWN = "WITHDRAWN", "撤回", "Withdrawn"


class Encumbrance(Labelled):
    PLEDGED = "PLEDGED", "质押", "Pledged"
    PRESERVED = "PRESERVED", "保全", "Preserved (court order)"
    SUSPENDED = "SUSPENDED", "中止", "Suspended (ownership dispute)"
    INVALIDATION_PENDING = "INVALIDATION_PENDING", "无效宣告审查中", "Invalidation pending"
    PARTIALLY_INVALID = "PARTIALLY_INVALID", "部分无效", "Partially invalid"
    EXCLUSIVE_LICENSE = "EXCLUSIVE_LICENSE", "独占许可", "Exclusive licence in force"
    SOLE_LICENSE = "SOLE_LICENSE", "排他许可", "Sole licence in force"
    OPEN_LICENSE = "OPEN_LICENSE", "开放许可", "Open licence in force"
    TERM_EXTENDED = "TERM_EXTENDED", "期限补偿", "Term extended"


class DealMode(Labelled):
    TRANSFER = "TRANSFER", "转让", "Transfer"
    LICENSE_ORDINARY = "LICENSE_ORDINARY", "普通许可", "Ordinary licence"
    LICENSE_SOLE = "LICENSE_SOLE", "排他许可", "Sole licence"
    LICENSE_EXCLUSIVE = "LICENSE_EXCLUSIVE", "独占许可", "Exclusive licence"
    OPEN_LICENSE = "OPEN_LICENSE", "开放许可", "Open licence"
    EQUITY = "EQUITY", "作价投资", "Equity investment"


class PricingMethod(Labelled):
    AGREEMENT = "AGREEMENT", "协议定价", "By agreement"
    LISTING = "LISTING", "挂牌交易", "Listing on an exchange"
    AUCTION = "AUCTION", "拍卖", "Auction"


class Maturity(Labelled):
    LAB = "LAB", "实验室阶段", "Laboratory"
    PILOT = "PILOT", "小试/中试", "Pilot"
    PROTOTYPE = "PROTOTYPE", "样机/样品", "Prototype"
    SMALL_BATCH = "SMALL_BATCH", "小批量生产", "Small-batch production"
    INDUSTRIAL = "INDUSTRIAL", "已产业化", "Industrialised"


class ListingStatus(Labelled):
    DRAFT = "DRAFT", "草稿", "Draft"
    SUBMITTED = "SUBMITTED", "待审核", "Submitted for review"
    REJECTED = "REJECTED", "审核未通过", "Rejected"
    PUBLISHED = "PUBLISHED", "已上架", "Published"
    SUSPENDED = "SUSPENDED", "已暂停", "Suspended"
    WITHDRAWN = "WITHDRAWN", "已下架", "Withdrawn"
    DEALT = "DEALT", "已成交", "Dealt"




class Source(Labelled):
    """Where a patent's owners, legal status or dates came from (issue 12 §1, provenance)."""

    REGISTER = "REGISTER", "国知局登记簿（法律状态导入）", "CNIPA register (status import)"
    POINT = "POINT", "服务点核实（已查国知局登记簿）", "Confirmed by the point (checked the CNIPA register)"
    EXPORT = "EXPORT", "国知局/知网导出文件", "CNIPA/CNKI export"
    USER = "USER", "用户填写（待国知局登记簿核实）", "Typed by a user (awaiting the CNIPA register)"


# What the CNIPA register vouches for: imported from it, or looked up in it by the listing's point.
CONFIRMED_SOURCES = (Source.REGISTER, Source.POINT)


class LicenceKind(Labelled):
    """The kind of a licence recorded in the register (TCI 25): 普通 / 排他 / 独占."""

    ORDINARY = "ORDINARY", "普通许可", "Ordinary licence"
    SOLE = "SOLE", "排他许可", "Sole licence"
    EXCLUSIVE = "EXCLUSIVE", "独占许可", "Exclusive licence"
