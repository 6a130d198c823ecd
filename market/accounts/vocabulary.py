"""Who is on the platform: kinds of organisation, state ownership level, approval, members' roles."""

from __future__ import annotations

from market.core.vocabulary import Labelled


class OrgType(Labelled):
    UNIVERSITY = "UNIVERSITY", "高校", "University"
    RESEARCH_INSTITUTE = "RESEARCH_INSTITUTE", "科研院所", "Research institute"
    SOE = "SOE", "国有企业", "State-owned enterprise"
    PRIVATE = "PRIVATE", "民营企业", "Private enterprise"
    FOREIGN = "FOREIGN", "外资企业", "Foreign enterprise"
    INDIVIDUAL = "INDIVIDUAL", "个人", "Individual"
    POINT_OPERATOR = "POINT_OPERATOR", "网点运营机构", "Point operator"
    BUREAU = "BUREAU", "区知识产权局", "District IP bureau"
    OTHER = "OTHER", "其他", "Other"


class SoeLevel(Labelled):
    CENTRAL = "CENTRAL", "央企", "Central"
    MUNICIPAL = "MUNICIPAL", "市属", "Municipal"
    DISTRICT = "DISTRICT", "区属", "District"


class OrgStatus(Labelled):
    PENDING = "PENDING", "待审批", "Awaiting approval"
    APPROVED = "APPROVED", "已批准", "Approved"
    REJECTED = "REJECTED", "未通过", "Rejected"


class Role(Labelled):
    ADMIN = "ADMIN", "管理员", "Administrator"
    MEMBER = "MEMBER", "成员", "Member"
