"""The papers of a deal: the contract (every kind), the written notice, the filing package, as PDF.

Each is built once as a `Document` (model.py) and rendered twice from that one source: as printable
HTML by a template and as PDF by `render_pdf` (pdf.py). The contract carries what CC 845 ¶3 and REC 9
require (contract.py); the filing package runs the REC 12 refusal grounds as pre-checks (R-LC-6;
filing.py). Builders read the database but never write to it, except `assign_reference`.
"""

from market.core.money import rmb_upper, yuan_text  # noqa: F401
from market.deals.documents.contract import contract, contract_title  # noqa: F401
from market.deals.documents.filing import PreCheck, application_form_rows, checklist, filing_package, filing_prechecks  # noqa: F401
from market.deals.documents.model import (  # noqa: F401
    DEFAULT_FILING_MONTHS,
    FILED_STATES,
    FILING_KINDS,
    KIND_LETTERS,
    Document,
    Section,
    assign_reference,
    contract_number,
    filing_deadline,
    notice_event,
    payment_table,
    reference_for,
)
from market.deals.documents.notice import notice, notice_text  # noqa: F401
from market.deals.documents.pdf import FONT, render_pdf  # noqa: F401
