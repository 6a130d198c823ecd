"""Reading a demand as a problem: boilerplate out, the technical object and the problem weighed.

Enterprise demands are written for a funding form, not for a search engine: they open with the
state of the world ("随着社会的不断发展…"), describe the company (its founding year, turnover,
buildings, awards) and close with why the project exists ("为了满足客户及市场要求…"). None of that
says what the patent must do, and every demand shares it, so it matches patents about nothing.
What is left is the technical object (what the thing is: 锂离子电池, 立方氮化硼单晶) and the problem
(what goes wrong with it: 防爆, 易变形, 不耐磨), which the title names most often.

Pure module: no Flask, no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from market.search.text import normalise, query_terms, word_tag

# Words that fill demand postings and abstracts alike; sharing one tells a reader nothing.
GENERIC_WORDS = frozenset("""
需求 内容 预期 目标 工作 基础 公司 企业 单位 项目 研发 研究 开发 研制 技术 问题 难题 解决 以上 以下 以内 达到
实现 提高 降低 减少 增加 提升 具有 具备 进行 现有 目前 部分 相关 产品 生产 要求 满足 结合 存在 发展 市场
基于 有效 简单 方便 成本 效果 效率 质量 性能 数据 影响 减小 需要 能够 初步 属于 行业 应用 使用 小于 大于
主要 一定 较好 良好 显著 优点 特点 方面 情况 作用 目的 合作 领域 国内 国外 国际 水平 关键 核心 重要
综合 导致 适用 中心 方式 过程 条件 利用 通过 得到 完成 开展 形成 提供 包括 不同 各种 同时 以及 其中
鉴于 诸多 如何 怎样 更多 进一步 较大 较高 比较 已经 正在 一直 非常 可能 每年 每天 采用 使得 以便 从而
""".split())
# Words a reason may never consist of alone: they name a kind of thing, not a thing.
GENERIC_TERMS = GENERIC_WORDS | frozenset("""
工艺 结构 方法 装置 系统 技术 设备 机构 组件 部件 设计 制备 制造 加工 处理 生产线 材料 原料 产品 项目 装备
平台 模式 体系 工程 方案 机械 机器 器件 工具 模块 单元 元件 零件 配件 本体 主体 框架 底座 壳体 支架
一体化 智能化 自动化 信息化 产业化 规模化 工业化 新型 高效 绿色 环保 节能 智能 自动 综合 一种 新 高端 优质
研发 研究 开发 研制 应用 推广 示范 改进 改造 优化 提升 升级 创新 关键 核心 共性 需求 问题 难题 解决 攻关
""".split())

# Section headings of the demand form; the existing-basis section describes the company.
_HEADING = re.compile(r"(需求内容|技术需求|需求描述|预期目标|预期效果|现有工作基础|现有基础|工作基础|预算|合作方式)\s*[:：]")
_MONEY_SECTIONS = ("预算", "合作方式")
_OUTCOME_SECTIONS = ("预期目标", "预期效果")
# Sentences that describe the world, the company or the paperwork, not the problem.
BOILERPLATE = tuple(re.compile(p) for p in (
    r"^随着.{0,30}(发展|进步|提高|增长|加快|深入|推进|普及)",
    r"为了?满足(客户|市场|用户|社会)",
    r"(我|本|该)(公司|企业|单位|集团)(成立|始建|创建|注册|位于|地处|坐落|是|系|现有|拥有|自|于|占地|主要|专业|致力)",
    r"^(公司|企业|集团)(成立|始建|创建|注册|位于|地处|坐落|现有|拥有|自|于|占地|是|系)",
    r"成立于\d{4}|\d{4}年(成立|创建|注册)|自\d{4}年(成立|以来)",
    r"(销售收入|营业收入|利润总额|注册资本|年产值|纳税|总资产|员工\d|职工\d|厂房|占地面积|高新技术企业|专精特新|著名商标|名牌产品)",
    r"(人员队伍|管理人员|组织机构|技术团队|研发团队|人力资源|经济基础|资金及时到位|市场前景|客户基础|产业化基础)",
    r"(特研发此项目|特提出此需求|特此提出|为了?解决以上问题|基于以上|综上所述|鉴于此)",
    r"(具有广阔的|广阔的市场|经济效益和社会效益|社会效益|填补.{0,6}空白)",
    r"(研发经费|新增产值|实现利税|利税|投入.{0,8}万元|万元左右的?(经费|资金))",
))
# Boilerplate of these kinds runs to the end of its sentence (the company description goes on
# "…主要生产…，拥有…"); the others are one clause of a sentence that may go on about the problem.
_SELF = tuple(BOILERPLATE[i] for i in (2, 3, 4, 5, 6))
# Markers of a sentence that states what goes wrong or what must improve.
_PROBLEM = re.compile(r"(问题|难题|缺陷|不足|存在|隐患|易|无法|不能|难以|不够|不理想|亟需|亟待|瓶颈|替代|取代|"
                      r"提高|降低|减少|防止|避免|解决|克服|消除|延长|改善)")
# Title wording around the object: "…的研发及产业化", "如何解决…", "基于…的".
_TITLE_NOISE = re.compile(r"(的?(研发|研究|开发|研制|设计|制备)(与|及|和)?(其)?(应用|产业化|推广|示范)?(项目|技术|需求)?$|"
                          r"(关键|共性|核心)?技术(研究|开发)?(与|及)?(应用|产业化)?$|项目$|需求$|"
                          r"^(如何|怎样|怎么)(解决)?|^(研发|开发|研制)(一种)?|^一种|^关于|^新型|^基于)")
_SENTENCE = re.compile(r"[^。！？；;!?\n]+[。！？；;!?\n]?")
_CLAUSE = re.compile(r"[^，,、]+[，,、]?")
# How much each part of a demand counts in the query: the object and the problem first.
OBJECT_REPEAT = 2
PROBLEM_REPEAT = 1


@dataclass
class DemandReading:
    """A demand as the engine reads it."""

    title: str
    problem_sentences: list[str] = field(default_factory=list)
    other_sentences: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    object_terms: list[str] = field(default_factory=list)
    problem_terms: list[str] = field(default_factory=list)

    @property
    def core(self) -> str:
        """The demand without its boilerplate."""
        return "\n".join(x for x in (self.title, *self.problem_sentences, *self.other_sentences) if x)

    @property
    def query(self) -> str:
        """The text to retrieve with: object and problem repeated, so that BM25 weighs them."""
        parts = [self.title] * OBJECT_REPEAT + self.problem_sentences * PROBLEM_REPEAT + self.other_sentences
        return "\n".join(p for p in parts if p)

    def key_terms(self) -> dict[str, float]:
        """Terms that say what the demand is about, each with its weight (object 3, problem 2, other 1)."""
        weights: dict[str, float] = {}
        for term in _specific(query_terms("\n".join(self.other_sentences))):
            weights[term] = 1.0
        for term in self.problem_terms:
            weights[term] = max(weights.get(term, 0.0), 2.0)
        for term in self.object_terms:
            weights[term] = 1.0 if word_tag(term) == _ATTRIBUTE else 3.0
        return weights


def is_generic(term: str) -> bool:
    """A word that alone tells a reader nothing about why two texts belong together."""
    return term in GENERIC_TERMS or len(term) < 2 or bool(re.fullmatch(r"[\d.%]+", term))


# Parts of speech that say where or who, not what: place names (许昌市, 河南省) and organisations.
_WHERE_OR_WHO = frozenset({"ns", "nt"})
# Attribute words (超级, 新型) qualify an object without naming it: they weigh as other words.
_ATTRIBUTE = "b"
_VERB = "v"


def _specific(terms: list[str]) -> list[str]:
    return [t for t in terms if not is_generic(t) and word_tag(t) not in _WHERE_OR_WHO]


def is_boilerplate(sentence: str) -> bool:
    text = sentence.strip()
    return any(p.search(text) for p in BOILERPLATE)


def _strip_boilerplate(sentence: str, dropped: list[str]) -> str:
    """The sentence without its boilerplate clauses (and all that follows a company description)."""
    kept = []
    clauses = [m.group(0) for m in _CLAUSE.finditer(sentence)]
    for i, clause in enumerate(clauses):
        if any(p.search(clause.strip()) for p in _SELF):
            dropped.append("".join(clauses[i:]).strip())
            break
        if is_boilerplate(clause):
            dropped.append(clause.strip())
            continue
        kept.append(clause)
    return "".join(kept).strip(" ，,、")


def _sections(content: str) -> list[tuple[str, str]]:
    """(heading, text) pairs; text before any heading has the heading ''."""
    out: list[tuple[str, str]] = []
    last, heading = 0, ""
    for m in _HEADING.finditer(content):
        out.append((heading, content[last:m.start()]))
        heading, last = m.group(1), m.end()
    out.append((heading, content[last:]))
    return [(h, t) for h, t in out if t.strip()]


def title_object(title: str) -> str:
    """The title without the wording around its object ('防爆锂离子电池的研发' → '防爆锂离子电池')."""
    text = normalise(title).strip(" 。.：:")
    for _ in range(3):
        shorter = _TITLE_NOISE.sub("", text).strip(" 、，,")
        if shorter == text or len(shorter) < 2:
            break
        text = shorter
    return text


def read_demand(text: str, title: str | None = None) -> DemandReading:
    """Split a demand into title, problem and other sentences, dropping boilerplate.

    Without a separate `title`, the first line of `text` is taken as the title (Demand.text puts it
    there).
    """
    text = (text or "").strip()
    if title is None:
        first, _, rest = text.partition("\n")
        # A one-paragraph text (an abstract, a query) has no title line to separate.
        title, text = (first.strip(), rest) if rest.strip() and len(first) <= 60 else ("", text)
    reading = DemandReading(title=title.strip())
    for heading, body in _sections(text):
        if heading in _MONEY_SECTIONS:
            reading.dropped.append(body.strip())
            continue
        for match in _SENTENCE.finditer(body):
            sentence = _strip_boilerplate(match.group(0).strip(), reading.dropped)
            if len(sentence) < 2:
                continue
            if heading not in _OUTCOME_SECTIONS and _PROBLEM.search(sentence):
                reading.problem_sentences.append(sentence)
            else:
                reading.other_sentences.append(sentence)
    titled = _specific(query_terms(title_object(reading.title))) if reading.title else []
    # The title names the object and what is to be done with it (防治, 育种, 回收): the verbs are the
    # problem, the rest the object (奶牛乳房炎防治: the object is 奶牛 and 乳房炎).
    reading.object_terms = [t for t in titled if word_tag(t) != _VERB]
    actions = [t for t in titled if word_tag(t) == _VERB]
    problem = actions + _specific(query_terms("\n".join(reading.problem_sentences)))
    reading.problem_terms = [t for t in dict.fromkeys(problem) if t not in reading.object_terms]
    if not reading.object_terms and not reading.title:
        # No title: the most repeated specific words of the text stand for its object.
        words = _specific(query_terms(reading.core))
        lowered = normalise(reading.core)
        reading.object_terms = sorted(words, key=lambda w: (-lowered.count(w), words.index(w)))[:3]
    return reading
