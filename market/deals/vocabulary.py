"""The closed vocabularies of deals: kinds, states, ledger events, fee modes (domain.md §2.1, §3.3–3.6)."""

from __future__ import annotations

from listings.vocabulary import DealMode, Labelled
from market.payments.vocabulary import PaymentKind, PaymentStatus  # noqa: F401  (re-exported)

# A deal's kind is the mode it was taken in; the listing offers the same modes.
DealKind = DealMode

LICENCE_KINDS = frozenset({DealMode.LICENSE_ORDINARY, DealMode.LICENSE_SOLE, DealMode.LICENSE_EXCLUSIVE})
# Kinds that give one party a right nobody else may hold at the same time (TCI 25; PL 51 ¶3).
EXCLUSIVE_KINDS = frozenset({DealMode.LICENSE_SOLE, DealMode.LICENSE_EXCLUSIVE})
# Kinds that move the patent itself to another owner (PL 10; CO 49).
OWNERSHIP_KINDS = frozenset({DealMode.TRANSFER, DealMode.EQUITY})
NEGOTIATED_KINDS = LICENCE_KINDS | OWNERSHIP_KINDS


class DealStatus(Labelled):
    # Negotiated deals (§3.4–3.6)
    NEGOTIATING = "NEGOTIATING", "洽谈中", "Negotiating"
    AGREED = "AGREED", "已达成一致", "Agreed"
    APPROVALS = "APPROVALS", "审批/公示中", "Approvals"
    SIGNED = "SIGNED", "已签订合同", "Contract signed"
    FILED = "FILED", "已备案", "Filed with CNIPA"
    FILING_REJECTED = "FILING_REJECTED", "备案未通过", "Filing rejected"
    REGISTRATION_FILED = "REGISTRATION_FILED", "已提交著录项目变更", "Registration filed"
    REGISTERED = "REGISTERED", "已登记(转让生效)", "Registered"
    REGISTRATION_REJECTED = "REGISTRATION_REJECTED", "登记未通过", "Registration rejected"
    # Open-licence acquisition (§3.3)
    NOTICE_DELIVERED = "NOTICE_DELIVERED", "书面通知已送达", "Written notice delivered"
    PAYMENT_PENDING = "PAYMENT_PENDING", "待付款", "Awaiting payment"
    LICENSED = "LICENSED", "已取得许可", "Licensed"
    # Shared ends
    ACTIVE = "ACTIVE", "履行中", "In force"
    COMPLETED = "COMPLETED", "已完成", "Completed"
    EXPIRED = "EXPIRED", "已到期", "Expired"
    TERMINATED = "TERMINATED", "已终止", "Terminated"
    DECLINED = "DECLINED", "已拒绝", "Declined"
    CANCELLED = "CANCELLED", "已取消", "Cancelled"
    VOID = "VOID", "已作废", "Void"


# A deal in one of these states no longer holds any right or blocks anybody.
CLOSED_STATES = frozenset({DealStatus.DECLINED, DealStatus.CANCELLED, DealStatus.VOID,
                           DealStatus.EXPIRED, DealStatus.TERMINATED,
                           DealStatus.REGISTRATION_REJECTED})
# Still being worked out: a transfer or equity deal that binds closes these on the same listing.
OPEN_REQUEST_STATES = frozenset({DealStatus.NEGOTIATING})


class LedgerEvent(Labelled):
    """What the deal ledger records; rows are appended, never changed (architecture.md)."""

    REQUESTED = "REQUESTED", "发起交易", "Deal requested"
    OFFER = "OFFER", "报价", "Offer"
    MESSAGE = "MESSAGE", "留言", "Message"
    ACCEPTED = "ACCEPTED", "接受报价", "Offer accepted"
    DECLINED = "DECLINED", "拒绝", "Declined"
    CANCELLED = "CANCELLED", "取消", "Cancelled"
    NOTICE = "NOTICE", "书面通知送达", "Written notice delivered"
    APPROVAL = "APPROVAL", "审批/决策", "Approval"
    PUBLICITY = "PUBLICITY", "公示", "Publicity"
    VALUATION = "VALUATION", "资产评估/估值", "Valuation"
    VALUATION_FILED = "VALUATION_FILED", "评估核准/备案", "Valuation approved/filed"
    SIGNATURE = "SIGNATURE", "签署合同", "Contract signed"
    PAYMENT_DUE = "PAYMENT_DUE", "应付款", "Payment due"
    PAYMENT = "PAYMENT", "收款", "Payment received"
    LICENSED = "LICENSED", "取得许可", "Licence obtained"
    FILING = "FILING", "合同备案", "Contract filed"
    FILING_REJECTED = "FILING_REJECTED", "备案未通过", "Filing rejected"
    REGISTRATION_FILED = "REGISTRATION_FILED", "提交转让登记", "Registration filed"
    REGISTRATION = "REGISTRATION", "转让登记生效", "Transfer registered"
    # A package's transfer is registered patent by patent; the deal is REGISTERED when all are.
    MEMBER_REGISTERED = "MEMBER_REGISTERED", "专利包中一件专利登记生效", "One patent of the package registered"
    REGISTRATION_REJECTED = "REGISTRATION_REJECTED", "登记未通过", "Registration rejected"
    CAPITAL_REGISTERED = "CAPITAL_REGISTERED", "工商变更登记", "Capital registered"
    ROYALTY_REPORT = "ROYALTY_REPORT", "提成报告", "Royalty report"
    COMPLETED = "COMPLETED", "完成", "Completed"
    TERMINATED = "TERMINATED", "终止", "Terminated"
    EXPIRED = "EXPIRED", "到期", "Expired"
    VOID = "VOID", "作废", "Voided"
    DISPUTE = "DISPUTE", "争议", "Dispute"
    # Evidence (issue 12 §4): the register or the point operator confirmed what the parties declared.
    FILING_VERIFIED = "FILING_VERIFIED", "备案已核实", "Filing verified"
    REGISTRATION_VERIFIED = "REGISTRATION_VERIFIED", "转让登记已核实", "Registration verified"
    EVIDENCE_VERIFIED = "EVIDENCE_VERIFIED", "交易已核实", "Deal verified"
    # A verification taken back (with its reason): the deal is no longer verified until a later line says so.
    EVIDENCE_WITHDRAWN = "EVIDENCE_WITHDRAWN", "撤销核实", "Verification withdrawn"
    # An amount above DEAL_AMOUNT_REVIEW_FEN confirmed by the point operator (amount_fen = the amount confirmed).
    AMOUNT_CONFIRMED = "AMOUNT_CONFIRMED", "金额已确认", "Amount confirmed"
    # Fees for technical services chosen with an open licence: their own lines, so that the statistics'
    # amounts received (PAYMENT lines) stay the patent fee only.
    SERVICE_PAYMENT = "SERVICE_PAYMENT", "技术服务费到账", "Service fee received"


class EvidenceLevel(Labelled):
    """How far a deal's record can be checked (issue 12 §4); statistics break figures down by it."""

    SELF_DECLARED = "SELF_DECLARED", "当事人自报", "Self-declared"
    DOCUMENTED = "DOCUMENTED", "已上传证明文件", "Documents uploaded"
    VERIFIED = "VERIFIED", "已核实（国知局登记簿或服务点）", "Verified (CNIPA register or point)"


class ServiceKind(Labelled):
    """Technical services offered beside an open licence (CC ch. 20: 技术咨询合同、技术服务合同; training is a service)."""

    SERVICE = "SERVICE", "技术服务", "Technical service"
    CONSULTING = "CONSULTING", "技术咨询", "Technical consulting"
    TRAINING = "TRAINING", "技术培训", "Technical training"


class FeeMode(Labelled):
    """许可使用费支付方式 (CC 846; OL24)."""

    LUMP_SUM = "LUMP_SUM", "一次总算一次总付", "Lump sum"
    INSTALLMENTS = "INSTALLMENTS", "一次总算分期支付", "Lump sum in instalments"
    ROYALTY = "ROYALTY", "提成支付", "Royalty"
    ENTRY_PLUS_ROYALTY = "ENTRY_PLUS_ROYALTY", "入门费+提成", "Entry fee plus royalty"
    FREE = "FREE", "免费", "Free"


class RoyaltyBase(Labelled):
    NET_SALES = "NET_SALES", "净销售额", "Net sales"
    SALES = "SALES", "销售额", "Sales"
    PROFIT = "PROFIT", "利润", "Profit"
    NEW_OUTPUT = "NEW_OUTPUT", "新增产值", "New output value"
    PRODUCT_PRICE = "PRODUCT_PRICE", "产品价格", "Product price"
    OTHER = "OTHER", "其他", "Other"


class RateSchedule(Labelled):
    FIXED = "FIXED", "固定比例", "Fixed rate"
    YEARLY_INCREASING = "YEARLY_INCREASING", "逐年递增", "Increasing yearly"
    YEARLY_DECREASING = "YEARLY_DECREASING", "逐年递减", "Decreasing yearly"


class PaymentPeriod(Labelled):
    ANNUAL = "ANNUAL", "按年", "Yearly"
    HALF_YEARLY = "HALF_YEARLY", "按半年", "Half-yearly"
    QUARTERLY = "QUARTERLY", "按季度", "Quarterly"


class RoyaltyReportStatus(Labelled):
    SUBMITTED = "SUBMITTED", "已提交", "Submitted"
    CONFIRMED = "CONFIRMED", "已确认", "Confirmed"
    DISPUTED = "DISPUTED", "有异议", "Disputed"


class DocumentKind(Labelled):
    PAYMENT_RECEIPT = "PAYMENT_RECEIPT", "付款凭证", "Payment receipt"
    SIGNED_CONTRACT = "SIGNED_CONTRACT", "签署合同扫描件", "Signed contract"
    FILING_PROOF = "FILING_PROOF", "备案证明", "Filing certificate"
    REGISTRATION_PROOF = "REGISTRATION_PROOF", "转让登记证明", "Registration notice"
    VALUATION_REPORT = "VALUATION_REPORT", "资产评估报告", "Valuation report"
    VALUATION_FILING = "VALUATION_FILING", "评估核准/备案文件", "Valuation approval/filing"
    DECISION = "DECISION", "集体决策文件", "Decision record"
    PUBLICITY = "PUBLICITY", "公示材料", "Publicity record"
    INVENTOR_WAIVER = "INVENTOR_WAIVER", "发明人放弃优先受让声明", "Inventor waiver"
    EXPORT_LICENCE = "EXPORT_LICENCE", "技术出口许可/登记证明", "Export licence/registration"
    PLEDGEE_CONSENT = "PLEDGEE_CONSENT", "质权人同意书", "Pledgee consent"
    CAPITAL_REGISTRATION = "CAPITAL_REGISTRATION", "工商变更登记证明", "Capital registration"
    OTHER = "OTHER", "其他", "Other"


class DeclarationStatus(Labelled):
    """开放许可声明 (§3.2): the platform mirrors CNIPA; it cannot itself grant a declaration."""

    DRAFT = "DRAFT", "草稿", "Draft"
    ELIGIBLE = "ELIGIBLE", "已通过检查", "Checks passed"
    FILED_WITH_CNIPA = "FILED_WITH_CNIPA", "已提交国知局", "Filed with CNIPA"
    NOT_ANNOUNCED = "NOT_ANNOUNCED", "未予公告", "Not announced"
    ANNOUNCED = "ANNOUNCED", "已公告(生效)", "Announced (in effect)"
    WITHDRAWAL_FILED = "WITHDRAWAL_FILED", "已申请撤回", "Withdrawal filed"
    WITHDRAWN = "WITHDRAWN", "已撤回", "Withdrawn"
    ENDED = "ENDED", "已终止", "Ended"


class ClaimGroup(Labelled):
    """Rights that cannot coexist on one patent over overlapping days (enforced by the database)."""

    EXCLUSIVITY = "EXCLUSIVITY", "独占/排他/开放许可", "Exclusive, sole or open licence"
    OWNERSHIP = "OWNERSHIP", "权属变更", "Change of ownership"
