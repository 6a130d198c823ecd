"""The demo catalogue: fictional organisations, the 11 points of the chain, and generated patents.

All names, addresses, phone numbers and patent texts are invented for this project (only the
district, 宝山区, is real, as the reference case in docs/product.md). Patents are generated from the
topic templates in `market.demo.topics`, deterministically for a given seed:
`demo_patents()` gives 320 patents for seed 7, the same list on every call.
"""

from __future__ import annotations

import itertools
import random
import string
from datetime import date, timedelta

from market.demo.topics import DESIGN_ADVANTAGES, DESIGN_PROBLEMS, TOPICS, Template, Topic

SUPPLIER_TYPES = frozenset({"UNIVERSITY", "RESEARCH_INSTITUTE", "SOE"})


_STREET_NUMBER = itertools.count(101, 7)


def _org(key, name, name_en, org_type, district, contact_name, phone, soe_level=None):
    # A registered address: contracts and licence filings name it (REC 9).
    province = "上海市" if district.endswith("区") else "江苏省"
    return {"key": key, "name": name, "name_en": name_en, "org_type": org_type,
            "soe_level": soe_level, "district": district,
            "contact_name": contact_name, "contact_phone": phone,
            "address": f"{province}{district}示范路{next(_STREET_NUMBER)}号"}


DEMO_ORGS: list[dict] = [
    # Suppliers: universities, research institutes, state-owned enterprises.
    _org("nsut", "沪北理工大学", "North Shanghai University of Technology",
         "UNIVERSITY", "宝山区", "周明远", "021-5555 0101"),
    _org("pjmu", "浦江医科大学", "Pujiang Medical University",
         "UNIVERSITY", "宝山区", "陈思琪", "021-5555 0102"),
    _org("scmu", "申城材料科技大学", "Shencheng University of Materials Science and Technology",
         "UNIVERSITY", "宝山区", "王建华", "021-5555 0103"),
    _org("cjau", "长江口农林大学", "Yangtze Estuary University of Agriculture and Forestry",
         "UNIVERSITY", "宝山区", "刘春燕", "021-5555 0104"),
    _org("sjie", "申江信息工程大学", "Shenjiang University of Information Engineering",
         "UNIVERSITY", "杨浦区", "赵立新", "021-5555 0105"),
    _org("pjam", "浦江先进制造技术研究院", "Pujiang Institute of Advanced Manufacturing Technology",
         "RESEARCH_INSTITUTE", "宝山区", "孙浩然", "021-5555 0106"),
    _org("bjls", "滨江生命科学研究所", "Binjiang Institute of Life Sciences",
         "RESEARCH_INSTITUTE", "宝山区", "黄雅婷", "021-5555 0107"),
    _org("zssteel", "中淞钢铁集团有限公司", "Zhongsong Iron and Steel Group Co., Ltd.",
         "SOE", "宝山区", "郑国栋", "021-5555 0108", "CENTRAL"),
    _org("zhpower", "中瀚电力科技集团有限公司", "Zhonghan Power Technology Group Co., Ltd.",
         "SOE", "浦东新区", "马晓东", "021-5555 0109", "CENTRAL"),
    _org("sstrans", "上海申沪轨道装备集团有限公司", "Shanghai Shenhu Rail Equipment Group Co., Ltd.",
         "SOE", "嘉定区", "许文杰", "021-5555 0110", "MUNICIPAL"),
    _org("bgdev", "宝山北港城市环境发展有限公司", "Baoshan Beigang Urban Environment Development Co., Ltd.",
         "SOE", "宝山区", "吴佳慧", "021-5555 0111", "DISTRICT"),
    # Demanders: private enterprises in and around the district.
    _org("lanqi", "上海澜启新能源科技有限公司", "Shanghai Lanqi New Energy Technology Co., Ltd.",
         "PRIVATE", "宝山区", "林子豪", "021-5555 0201"),
    _org("hengxin", "苏州衡芯微电子有限公司", "Suzhou Hengxin Microelectronics Co., Ltd.",
         "PRIVATE", "苏州市", "钱嘉怡", "0512-5555 0202"),
    _org("hesui", "上海禾穗农业科技有限公司", "Shanghai Hesui Agricultural Technology Co., Ltd.",
         "PRIVATE", "宝山区", "沈玉兰", "021-5555 0203"),
    _org("qingqu", "上海清渠环保科技有限公司", "Shanghai Qingqu Environmental Technology Co., Ltd.",
         "PRIVATE", "宝山区", "韩志强", "021-5555 0204"),
    _org("luosi", "上海络思智能装备有限公司", "Shanghai Luosi Intelligent Equipment Co., Ltd.",
         "PRIVATE", "嘉定区", "冯宇航", "021-5555 0205"),
    _org("ruiyan", "昆山瑞研生物医药有限公司", "Kunshan Ruiyan Biopharmaceutical Co., Ltd.",
         "PRIVATE", "昆山市", "邓慧敏", "0512-5555 0206"),
    # The district bureau and the organisations that run the chain's points.
    _org("bureau", "宝山区知识产权局", "Baoshan District Intellectual Property Office",
         "BUREAU", "宝山区", "蒋文斌", "021-5555 0301"),
    _org("op-nsut", "沪北理工大学科技园发展有限公司",
         "North Shanghai University of Technology Science Park Development Co., Ltd.",
         "POINT_OPERATOR", "宝山区", "彭晓琳", "021-5555 0401"),
    _org("op-pujiang", "上海浦光知识产权运营有限公司", "Shanghai Puguang IP Operation Co., Ltd.",
         "POINT_OPERATOR", "宝山区", "曾德明", "021-5555 0402"),
    _org("op-qiheng", "上海启衡技术转移服务有限公司", "Shanghai Qiheng Technology Transfer Services Co., Ltd.",
         "POINT_OPERATOR", "宝山区", "萧静怡", "021-5555 0403"),
]


def _point(key, branch, branch_en, district, address, operator_key):
    return {"key": key, "name": f"浦江之光专利超市·{branch}",
            "name_en": f"Pujiang Light Patent Supermarket · {branch_en}",
            "district": district, "address": address, "operator_key": operator_key}


DEMO_POINTS: list[dict] = [
    _point("pt-univ-park", "大学科技园店", "University Science Park",
           "宝山区", "宝山区科创大道88号1号楼一层", "op-nsut"),
    _point("pt-north-campus", "大学北校区技术转移中心店", "North Campus Technology Transfer Centre",
           "宝山区", "宝山区理工路500号图文信息中心", "op-nsut"),
    _point("pt-binjiang", "滨江科创园店", "Binjiang Innovation Park",
           "宝山区", "宝山区滨江科创路188号", "op-pujiang"),
    _point("pt-materials", "新材料产业基地店", "New Materials Industrial Base",
           "宝山区", "宝山区新材路66号服务中心", "op-pujiang"),
    _point("pt-steel", "钢铁园区转型创新中心店", "Steel Park Transformation Centre",
           "宝山区", "宝山区炉前路9号创新中心二层", "op-pujiang"),
    _point("pt-service", "区知识产权服务中心店", "District IP Service Centre",
           "宝山区", "宝山区政通路101号", "op-pujiang"),
    _point("pt-yrd", "长三角协同创新中心店", "Yangtze Delta Collaborative Innovation Centre",
           "苏州市", "苏州市协创大道2号", "op-pujiang"),
    _point("pt-robot", "机器人产业园店", "Robotics Industrial Park",
           "宝山区", "宝山区智造大道2001号", "op-qiheng"),
    _point("pt-biomed", "生物医药创新港店", "Biomedicine Innovation Harbour",
           "宝山区", "宝山区康桥北路18号", "op-qiheng"),
    _point("pt-agri", "现代农业科技园店", "Modern Agriculture Science Park",
           "宝山区", "宝山区禾丰路36号", "op-qiheng"),
    _point("pt-jiading", "嘉定新能源汽车创新园店", "Jiading New-Energy Vehicle Innovation Park",
           "嘉定区", "嘉定区新能路1288号", "op-qiheng"),
]

_SHARES = {"DESIGN": 0.05, "UTILITY_MODEL": 0.25}   # the rest are inventions
_CO_OWNED_SHARE = 0.125
_YEARS = {"INVENTION": range(2008, 2025), "UTILITY_MODEL": range(2016, 2025),
          "DESIGN": range(2018, 2025)}
_TYPE_DIGIT = {"INVENTION": "1", "UTILITY_MODEL": "2", "DESIGN": "3"}
_MATURITY = ("LAB", "PILOT", "PROTOTYPE", "SMALL_BATCH", "INDUSTRIAL")
_MATURITY_WEIGHTS = {"INVENTION": (25, 30, 20, 15, 10), "UTILITY_MODEL": (5, 15, 35, 30, 15),
                     "DESIGN": (0, 0, 30, 40, 30)}
_LEAD = {"INVENTION": "本发明公开了", "UTILITY_MODEL": "本实用新型公开了"}
_DESIGN_TAIL = "设计要点在于产品的形状与整体结构布局，最能表明设计要点的图片为立体图。"
_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
             "蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史")
_GIVEN = ("伟", "芳", "敏", "静", "磊", "强", "洋", "勇", "杰", "涛", "超", "平", "刚", "华", "鹏",
          "宇", "琳", "婷", "浩然", "子涵", "欣怡", "晨阳", "思远", "佳琪", "俊文", "博雅", "梓轩",
          "雨辰", "嘉诚", "立群", "永康", "晓峰", "海燕", "春生", "德昌", "振东", "慧琳", "文博",
          "志刚", "建平", "红梅", "丽娟", "国强", "宏伟", "晓燕", "雪莹", "天宇", "一鸣", "家豪",
          "明轩", "诗涵", "泽宇", "秋实", "卫东", "正阳", "静怡", "建军", "秀兰", "玉洁", "海涛",
          "振华", "雅琴", "少华")
_POOL_SIZE = 12


def demo_patents(n: int = 320, seed: int = 7) -> list[dict]:
    """`n` distinct demo patents, the same list for the same (n, seed).

    About 70% inventions, 25% utility models and 5% designs; 12.5% have a co-owner. Raises
    ValueError if the templates cannot give `n` distinct titles.
    """
    rng = random.Random(seed)
    n_design = round(n * _SHARES["DESIGN"])
    n_um = round(n * _SHARES["UTILITY_MODEL"])
    used: set[str] = set()
    drawn = []
    for patent_type, count in (("DESIGN", n_design), ("UTILITY_MODEL", n_um),
                               ("INVENTION", n - n_design - n_um)):
        drawn += [(patent_type, c) for c in _draw(patent_type, count, rng, used)]
    rng.shuffle(drawn)
    co_owned = set(rng.sample(range(n), round(n * _CO_OWNED_SHARE)))
    pools = _inventor_pools(seed)
    serials: set[str] = set()
    return [_patent(patent_type, candidate, i in co_owned, rng, pools, serials)
            for i, (patent_type, candidate) in enumerate(drawn)]


def supplier_keys() -> list[str]:
    return [org["key"] for org in DEMO_ORGS if org["org_type"] in SUPPLIER_TYPES]


# --- drawing distinct titles -------------------------------------------------------------------

def _fields(text: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


def _candidates(topic: Topic, template: Template) -> list[tuple[Topic, Template, dict]]:
    names = list(dict.fromkeys(_fields(template.title)))
    combos = itertools.product(*(topic.slots[name] for name in names))
    return [(topic, template, dict(zip(names, values))) for values in combos]


def _title(candidate) -> str:
    _, template, values = candidate
    return template.title.format(**{k: zh for k, (zh, _) in values.items()})


def _accepts(template: Template, patent_type: str) -> bool:
    return {"DESIGN": "D", "UTILITY_MODEL": "U", "INVENTION": "I"}[patent_type] in template.kinds


def _draw(patent_type: str, count: int, rng: random.Random, used: set[str]) -> list:
    """Pick `count` unused titles, taking one topic after another so that topics are spread."""
    per_topic = []
    for topic in TOPICS:
        pool = [c for t in topic.templates if _accepts(t, patent_type) for c in _candidates(topic, t)]
        if pool:
            rng.shuffle(pool)
            per_topic.append(pool)
    rng.shuffle(per_topic)
    chosen = []
    while len(chosen) < count:
        if not per_topic:
            raise ValueError(f"not enough distinct {patent_type} titles for {count} patents")
        for pool in list(per_topic):
            while pool and _title(pool[-1]) in used:
                pool.pop()
            if not pool:
                per_topic.remove(pool)
                continue
            candidate = pool.pop()
            used.add(_title(candidate))
            chosen.append(candidate)
            if len(chosen) == count:
                break
    return chosen


# --- filling in one patent ---------------------------------------------------------------------

def _patent(patent_type, candidate, co_owned, rng, pools, serials) -> dict:
    topic, template, values = candidate
    values = dict(values)
    for name in _fields(template.body):
        values.setdefault(name, rng.choice(topic.slots[name]))
    zh = {k: v[0] for k, v in values.items()}
    en = {k: v[1] for k, v in values.items()}
    title = template.title.format(**zh)
    title_en = template.en.format(**en)
    owner = rng.choice(topic.owners)
    co_owners = [rng.choice([k for k in supplier_keys() if k != owner])] if co_owned else []
    filed = _filing_date(patent_type, rng)
    design = patent_type == "DESIGN"
    return {
        "app_no": _app_no(filed.year, patent_type, rng, serials),
        "title": title,
        "title_en": title_en[0].upper() + title_en[1:],
        "abstract": _abstract(patent_type, title, template.body.format(**zh), topic, rng),
        "patent_type": patent_type,
        "ipc": list(template.ipc),
        "locarno": template.locarno,
        "filing_date": filed.isoformat(),
        "owner_key": owner,
        "co_owner_keys": co_owners,
        "inventors": _inventors(owner, co_owners, rng, pools),
        "problem_solved": rng.choice(DESIGN_PROBLEMS if design else topic.problems),
        "advantages": rng.choice(DESIGN_ADVANTAGES if design else topic.advantages),
        "applications": rng.choice(topic.applications),
        "maturity": rng.choices(_MATURITY, _MATURITY_WEIGHTS[patent_type])[0],
        "topic": topic.key,
        "sector": topic.sector,
    }


def _abstract(patent_type, title, body, topic, rng) -> str:
    """Two to four sentences, 80-200 characters: what it is, how it is built, what it achieves."""
    if patent_type == "DESIGN":
        return f"本外观设计产品的名称为{title}。本外观设计产品{body}{_DESIGN_TAIL}"
    text = f"{_LEAD[patent_type]}{title}。{body}"
    effects = list(topic.effects)
    rng.shuffle(effects)
    for effect in effects:
        if len(text) >= 80 and len(text) + len(effect) > 200:
            break
        text += effect
        if len(text) >= 110:
            break
    return text


def _filing_date(patent_type, rng) -> date:
    years = _YEARS[patent_type]
    year = rng.choices(years, weights=[i + 2 for i in range(len(years))])[0]
    return date(year, 1, 1) + timedelta(days=rng.randrange(365))


def _app_no(year, patent_type, rng, serials) -> str:
    """A well-formed 申请号 (domain.md §1.2); serials from 8000000 up, to stay clear of real ones."""
    while True:
        digits = f"{year}{_TYPE_DIGIT[patent_type]}{rng.randrange(8_000_000, 10_000_000):07d}"
        if digits not in serials:
            serials.add(digits)
            break
    total = sum(int(d) * w for d, w in zip(digits, (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)))
    check = total % 11
    return f"{digits}.{'X' if check == 10 else check}"


def _inventor_pools(seed) -> dict[str, list[str]]:
    """A stable team of researchers per supplier, so the same names recur across its patents."""
    pools = {}
    for key in supplier_keys():
        rng = random.Random(f"{seed}/{key}")
        names: list[str] = []
        while len(names) < _POOL_SIZE:
            name = rng.choice(_SURNAMES) + rng.choice(_GIVEN)
            if name not in names:
                names.append(name)
        pools[key] = names
    return pools


def _inventors(owner, co_owners, rng, pools) -> list[str]:
    count = rng.randint(2, 5)
    names = rng.sample(pools[owner], count - 1 if co_owners else count)
    if co_owners:
        names.append(rng.choice(pools[co_owners[0]]))
    return names
