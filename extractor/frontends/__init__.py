"""The frontends, in the order they claim files: a file claimed by one is not offered to the next.

Adding a frontend is one module implementing ``extractor.units.Frontend`` and one line here.
"""

from __future__ import annotations

from collections.abc import Callable

from ..units import Frontend
from .dbt_models import DbtModels
from .path_convention import PathConvention
from .python_modules import PythonModules
from .sql_files import SqlFiles

#: Factories of the registered frontends (a scan gets fresh instances: they hold its state).
FRONTENDS: tuple[Callable[[], Frontend], ...] = (
    DbtModels,
    PathConvention,
    SqlFiles,
    PythonModules,
)


def create_frontends(jobs: int = 1) -> list[Frontend]:
    """Fresh frontends; ``jobs`` is how many processes one may use for work before its units exist."""
    frontends = [factory() for factory in FRONTENDS]
    for frontend in frontends:
        frontend.jobs = jobs
    return frontends
