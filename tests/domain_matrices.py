"""Per-domain authorization tables, merged into the one matrix (see tests/matrix_common.py)."""

from __future__ import annotations

from typing import Any

from tests.addresses.matrix import MATRIX as ADDRESSES
from tests.analysis.matrix import MATRIX as ANALYSIS
from tests.assessment.matrix import MATRIX as ASSESSMENT
from tests.brain.matrix import MATRIX as BRAIN
from tests.cases.matrix import MATRIX as CASES
from tests.cases.matrix_pages import MATRIX as CASE_PAGES
from tests.insight.matrix import MATRIX as INSIGHT
from tests.monitor.matrix import MATRIX as MONITOR
from tests.notify.matrix import MATRIX as NOTIFY
from tests.open311.matrix import MATRIX as OPEN311
from tests.registry.matrix_browse import MATRIX as REGISTRY_BROWSE
from tests.registry.matrix_exports import MATRIX as REGISTRY_EXPORTS
from tests.registry.matrix_feedback import MATRIX as REGISTRY_FEEDBACK
from tests.registry.matrix_reviews import MATRIX as REGISTRY_REVIEWS
from tests.registry.matrix_verify import MATRIX as REGISTRY_VERIFY
from tests.taxonomy.matrix import MATRIX as TAXONOMY
from tests.workcal.matrix import MATRIX as WORKCAL

DOMAIN_MATRICES: list[dict[tuple[str, str], list[Any]]] = [CASES, NOTIFY, WORKCAL, TAXONOMY, CASE_PAGES]
DOMAIN_MATRICES.append(OPEN311)
DOMAIN_MATRICES.append(ADDRESSES)
DOMAIN_MATRICES.append(BRAIN)
DOMAIN_MATRICES.append(MONITOR)
DOMAIN_MATRICES.append(ANALYSIS)
DOMAIN_MATRICES.append(ASSESSMENT)
DOMAIN_MATRICES.append(INSIGHT)
DOMAIN_MATRICES.append(REGISTRY_VERIFY)
DOMAIN_MATRICES.append(REGISTRY_FEEDBACK)
DOMAIN_MATRICES.append(REGISTRY_EXPORTS)
DOMAIN_MATRICES.append(REGISTRY_REVIEWS)
DOMAIN_MATRICES.append(REGISTRY_BROWSE)
