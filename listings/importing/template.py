"""The import template to download: the real Chinese column names, and what each column takes.

No Flask here. The headers are those the importer recognises first (columns.SYNONYMS), so a file
filled in from this template maps itself; tests/listings/importing check that they still do.
"""

from __future__ import annotations

import io

from market.core import spreadsheets

# (header, canonical field, required, what it takes (zh), (en), example)
COLUMNS: tuple[tuple[str, str, bool, str, str, str], ...] = (
    ("申请号", "application_number", True, "含校验位，如 2020100012345.6；也可写 CN 前缀",
     "With its check character, e.g. 2020100012345.6 (a CN prefix is fine)", "2020100012345.6"),
    ("名称", "title", True, "专利名称，与公告一致", "The title as published", "一种锂离子电池用陶瓷涂覆隔膜"),
    ("摘要", "abstract", False, "摘要全文", "The abstract", "本发明公开了一种耐高温隔膜……"),
    ("专利类型", "patent_type", False, "发明 / 实用新型 / 外观设计；空着则按申请号判断",
     "Invention, utility model or design; empty: read from the number", "发明"),
    ("申请日", "filing_date", True, "YYYY-MM-DD", "YYYY-MM-DD", "2020-03-01"),
    ("授权公告日", "grant_date", False, "已授权的填写，YYYY-MM-DD", "If granted, YYYY-MM-DD", "2022-01-05"),
    ("主分类号", "ipc_main", False, "IPC 主分类号", "Main IPC class", "H01M 50/449"),
    ("分类号", "ipc", False, "全部 IPC 分类号，用分号隔开", "Every IPC class, separated by semicolons",
     "H01M 50/449; H01M 50/403"),
    ("申请（专利权）人", "applicants", True, "全部专利权人，用分号隔开；须包含本机构的注册名称",
     "Every patentee, separated by semicolons; your registered name must be one", "某某大学; 某某公司"),
    ("发明（设计）人", "inventors", False, "用分号隔开", "Separated by semicolons", "张三; 李四"),
    ("法律状态", "legal_status", False, "如 授权、实质审查、未缴年费专利权终止；空着显示为“未知，待核实”",
     "E.g. 授权 (granted); left empty the patent shows as “unknown, to be checked”", "授权"),
    ("法律状态日", "legal_status_date", False, "YYYY-MM-DD", "YYYY-MM-DD", "2022-01-05"),
    ("交易方式", "modes", False, "转让、普通许可、排他许可、独占许可、开放许可、作价投资，可多选",
     "Any of 转让, 普通许可, 排他许可, 独占许可, 开放许可, 作价投资", "转让、普通许可"),
    ("报价（万元）", "asking_price", False, "单位万元，两位小数；不填写则按“是否面议”",
     "In 万元 (¥10,000), two decimals; empty: see 是否面议", "50.00"),
    ("是否面议", "price_negotiable", False, "是 / 否", "是 (yes) or 否 (no)", "否"),
    ("定价方式", "pricing_method", False, "协议定价、挂牌交易、拍卖", "协议定价, 挂牌交易 or 拍卖", "协议定价"),
    ("网点", "point", False, "挂牌网点名称；空着用导入时选择的网点", "The point's name; empty: the one chosen on upload",
     ""),
    ("专利包", "package", False, "同一专利包的各行填相同的名称，一起挂牌、一个价格；专利权人须相同。单件挂牌留空",
     "Rows with the same name here are listed together at one price; same patentees. Empty: listed alone",
     "隔膜技术包"),
    ("解决的问题", "problem_solved", False, "", "", ""),
    ("技术优势", "advantages", False, "", "", ""),
    ("应用领域", "applications", False, "", "", ""),
    ("技术成熟度", "maturity", False, "实验室阶段、小试/中试、样机/样品、小批量生产、已产业化",
     "One of 实验室阶段, 小试/中试, 样机/样品, 小批量生产, 已产业化", "小试/中试"),
)
HEADERS = [c[0] for c in COLUMNS]


def template_csv() -> str:
    """The header row only: nothing that could be imported by mistake."""
    return spreadsheets.csv_text([HEADERS])


def template_xlsx(lang: str = "zh") -> bytes:
    """A sheet to fill in (headers only) and a sheet that explains every column with an example."""
    wb = spreadsheets.new_workbook()
    spreadsheets.add_sheet(wb, "专利" if lang == "zh" else "Patents", [HEADERS])
    en = lang == "en"
    notes = [["列名" if not en else "Column", "必填" if not en else "Required",
              "填写说明" if not en else "What it takes", "示例" if not en else "Example"]]
    notes += [[header, ("是" if required else "") if not en else ("yes" if required else ""),
               note_en if en else note_zh, example]
              for header, _, required, note_zh, note_en, example in COLUMNS]
    spreadsheets.add_sheet(wb, "填写说明" if not en else "How to fill in", notes,
                           widths={"A": 18, "B": 8, "C": 60, "D": 30})
    out = io.BytesIO()
    spreadsheets.save_workbook(wb, out)
    return out.getvalue()
