"""What a payment is for and where it stands: the payments package owns these."""

from __future__ import annotations

from market.core.vocabulary import Labelled


class PaymentKind(Labelled):
    ENTRY_FEE = "ENTRY_FEE", "入门费", "Entry fee"
    LUMP_SUM = "LUMP_SUM", "许可费(一次付清)", "Lump sum"
    INSTALLMENT = "INSTALLMENT", "分期款", "Instalment"
    ROYALTY_PERIOD = "ROYALTY_PERIOD", "提成费", "Royalty"
    TRANSFER_PRICE = "TRANSFER_PRICE", "转让价款", "Transfer price"
    DEPOSIT = "DEPOSIT", "交易保证金", "Deposit"
    # Technical services chosen with an open licence: a sum of its own, never part of the patent fee.
    SERVICE_FEE = "SERVICE_FEE", "技术服务费", "Technical service fee"


class PaymentStatus(Labelled):
    DUE = "DUE", "待支付", "Due"
    PROCESSING = "PROCESSING", "处理中", "Processing"
    PAID = "PAID", "已到账", "Paid"
    FAILED = "FAILED", "支付失败", "Failed"
    CANCELLED = "CANCELLED", "已取消", "Cancelled"
    REFUNDED = "REFUNDED", "已退款", "Refunded"
