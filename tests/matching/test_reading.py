"""Reading a demand as a problem: boilerplate and company self-description out, object and problem in."""

from __future__ import annotations

import pytest

from matching.reading import GENERIC_TERMS, is_boilerplate, is_generic, read_demand, title_object

DEMAND = ("防爆锂离子电池的研发\n"
          "随着社会的不断发展，锂电池的普及率越来越高，目前，国内锂离子电池产品存在安全隐患问题，"
          "为了满足客户及市场要求，结合本公司对锂电池防爆问题的研发经验积累，为了解决以上问题，特研发此项目。\n"
          "现有工作基础：我公司成立于2011年，2016年被评为高新技术企业，2018年度实现销售收入2002万元。")


@pytest.mark.parametrize("sentence", [
    "随着社会的不断发展，", "为了满足客户及市场要求，", "我公司成立于2011年，主要生产锂电池。",
    "公司自2011年成立以来，发展迅速", "2018年度实现销售收入2002万元，利润总额520万元。",
    "公司现有标准化厂房3栋，生产设备、检测设备、人员队伍完善", "特研发此项目。",
])
def test_boilerplate_is_recognised(sentence):
    assert is_boilerplate(sentence)


@pytest.mark.parametrize("sentence", [
    "国内锂离子电池产品存在安全隐患问题", "石墨模具存在易变形，不耐磨等问题", "喷涂废水最多15天需要更换",
])
def test_a_technical_sentence_is_not_boilerplate(sentence):
    assert not is_boilerplate(sentence)


def test_boilerplate_and_self_description_are_stripped_and_the_problem_kept():
    reading = read_demand(DEMAND)
    assert "随着社会" not in reading.core and "满足客户" not in reading.core
    assert "成立于" not in reading.core and "销售收入" not in reading.core and "特研发此项目" not in reading.core
    assert "安全隐患" in reading.core
    # 防爆 (to keep from exploding) is what is to be done with the battery: the problem, first.
    assert reading.object_terms == ["锂离子电池"]
    assert reading.problem_terms[0] == "防爆" and "安全隐患" in reading.problem_terms


def test_the_object_and_problem_weigh_most():
    weights = read_demand(DEMAND).key_terms()
    assert weights["锂离子电池"] > weights["安全隐患"] >= 2
    assert not any(is_generic(t) for t in weights)


@pytest.mark.parametrize("title, obj", [
    ("防爆锂离子电池的研发", "防爆锂离子电池"),
    ("烧结金刚石圆锯片用模具新材料的研发及产业化关键技术研究", "烧结金刚石圆锯片用模具新材料"),
    ("如何解决水泵运行中水量不够", "水泵运行中水量不够"),
    ("喷涂废弃物处理", "喷涂废弃物处理"),
])
def test_the_title_loses_the_wording_around_its_object(title, obj):
    assert title_object(title) == obj


@pytest.mark.parametrize("word", ["工艺", "结构", "方法", "装置", "系统", "技术", "设备", "材料", "研究", "提高"])
def test_generic_words_are_generic(word):
    assert word in GENERIC_TERMS and is_generic(word)


def test_a_text_without_a_title_line_is_read_whole():
    reading = read_demand("陶瓷涂覆隔膜提高锂离子电池的耐高温性能和安全性")
    assert reading.title == "" and reading.object_terms and "隔膜" in reading.core


def test_a_title_verb_is_the_problem_not_the_object():
    reading = read_demand("奶牛乳房炎防治\n养殖场奶牛乳房炎发病率高，需要无抗生素的防治方法。")
    assert "防治" not in reading.object_terms and "奶牛" in reading.object_terms
    assert "防治" in reading.problem_terms


def test_place_and_organisation_names_are_not_key_words():
    reading = read_demand("光山县小龙虾虾苗繁育\n许昌市英才农业科技开发有限公司需要解决虾苗成活率低的问题。")
    key = reading.key_terms()
    assert "光山县" not in key and "许昌市" not in key and "科技开发" not in key
    assert "小龙虾" in reading.object_terms
