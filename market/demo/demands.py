"""The demo's two demands: one the demo shelf answers, one it does not, so that a newcomer sees both
honest states of matching (confident matches; "nothing on the shelf fits yet" with next steps).

Both are posted through the demand service, as an enterprise would post them; the texts are
written for the project.
"""

from __future__ import annotations

from listings.vocabulary import DealMode
from market.accounts.models import User
from matching import services as demand_service
from matching.vocabulary import Visibility

DEMO_DEMANDS = (
    # The shelf holds battery thermal-runaway warning and battery thermal management patents.
    ("lanqi", {"title": "储能电站电池热失控预警",
               "problem": "我司运营用户侧储能电站，磷酸铁锂电池簇在高温季节温升过快，存在热失控风险，"
                          "需要电池热管理和热失控早期预警技术。",
               "expected_outcome": "热失控前10分钟发出预警，电池簇最大温差不超过5℃",
               "budget_min_fen": 20_000_000, "budget_max_fen": 100_000_000,
               "modes": [DealMode.LICENSE_ORDINARY, DealMode.TRANSFER]}),
    # Nothing on the demo shelf is about cold storage or fruit and vegetables.
    ("hesui", {"title": "冷库果蔬预冷保鲜",
               "problem": "我司经营果蔬冷链，采后预冷不及时导致腐烂损耗高，需要果蔬预冷和保鲜技术。",
               "expected_outcome": "采后损耗率降到5%以下",
               "budget_min_fen": None, "budget_max_fen": 30_000_000,
               "modes": [DealMode.LICENSE_ORDINARY]}),
)


def seed_demands(users: dict[str, User]) -> str:
    for key, fields in DEMO_DEMANDS:
        demand_service.post_demand(users[key], {"existing_basis": "", "industries": [], "timeline": "一年内",
                                                "visibility": Visibility.PUBLIC, **fields})
    return f"{len(DEMO_DEMANDS)} demands (one the shelf answers, one it does not)"
