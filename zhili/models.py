"""Imports every domain's models so that metadata (Alembic, tests) sees all tables."""

from zhili import jobs  # noqa: F401
from zhili.addresses import models as address_models  # noqa: F401
from zhili.analysis import models as analysis_models  # noqa: F401
from zhili.assessment import models as assessment_models  # noqa: F401
from zhili.auth import models as auth_models  # noqa: F401
from zhili.brain import models as brain_models  # noqa: F401
from zhili.cases import models as case_models  # noqa: F401
from zhili.db import Base
from zhili.imports import models as import_models  # noqa: F401
from zhili.insight import models as insight_models  # noqa: F401
from zhili.monitor import models as monitor_models  # noqa: F401
from zhili.notify import models as notify_models  # noqa: F401
from zhili.open311 import models as open311_models  # noqa: F401
from zhili.org import models as org_models  # noqa: F401
from zhili.registry import models as registry_models  # noqa: F401
from zhili.taxonomy import models as taxonomy_models  # noqa: F401
from zhili.workcal import models as workcal_models  # noqa: F401

metadata = Base.metadata
