"""What to tell an enterprise about its matches: a headline for each state, and next steps when
nothing on the shelf fits well. Pure module: no Flask, no database.
"""

from __future__ import annotations

from dataclasses import dataclass

from matching.confidence import STATE_MATCH, STATE_NONE, STATE_WEAK
from matching.engine import MatchOutcome

HEADLINES = {
    STATE_MATCH: ("以下专利与您的需求相符", "These patents fit your demand"),
    STATE_WEAK: ("货架上暂无与需求高度相符的专利；以下是最接近的几项，仅供参考",
                 "Nothing on the shelf fits this demand well yet; these are the nearest few, for reference only"),
    STATE_NONE: ("货架上暂无合适的专利", "Nothing on the shelf fits this demand yet"),
}


@dataclass
class NextStep:
    code: str
    zh: str
    en: str
    # Wording to try instead, for the steps that suggest one.
    query: str = ""


def headline(state: str) -> tuple[str, str]:
    return HEADLINES[state]


def next_steps(outcome: MatchOutcome, *, watched: bool) -> list[NextStep]:
    """Helpful steps when no confident match exists (none for a confident outcome).

    `watched`: the demand is posted and open, so a new listing that fits is announced to it.
    """
    if outcome.state == STATE_MATCH:
        return []
    steps = []
    if watched:
        steps.append(NextStep("watched", "需求保持征集中：新专利上架且与需求相符时，我们会在消息中通知您",
                              "Your demand stays open: when a fitting patent reaches the shelves, we tell you in your inbox"))
    else:
        steps.append(NextStep("post_demand", "发布为技术需求后，新专利上架且与需求相符时会通知您",
                              "Post it as a demand and we tell you when a fitting patent reaches the shelves"))
    objects, problems = outcome.object_terms, outcome.problem_terms
    if len(objects) > 1 or problems:
        broader = " ".join(objects[:2])
        steps.append(NextStep("broader", f"试试更宽的说法，只写技术对象：{broader}",
                              f"Try broader wording, the technical object alone: {broader}", query=broader))
    if objects:
        narrower = " ".join([*objects[:3], *problems[:2]])
        steps.append(NextStep("narrower", f"或写明对象和要解决的问题，用材料、工艺、设备的专业名称：{narrower}",
                              f"Or name the object and the problem in the trade's own terms: {narrower}",
                              query=narrower))
    steps.append(NextStep("point_operator", "请网点的技术经理人帮您在平台之外检索专利和科研团队",
                          "Ask a point's technology manager to search beyond the platform for patents and research teams"))
    return steps


__all__ = ["HEADLINES", "NextStep", "STATE_MATCH", "STATE_NONE", "STATE_WEAK", "headline", "next_steps"]
