"""symbiose domain models: members' tables in, a validated network out.

``models`` knows nothing of the optimiser (:mod:`matcher`); it reads and checks
the tables that members submit, the resource catalog and scenario files.
"""

from .catalog import Catalog, Factor, Resource, Substitute, ewc_table
from .errors import DataError, Issue, ScenarioError, SymbioseError
from .io import load, load_catalog, load_network, read_tables
from .network import Network
from .records import Link, Location, Member, Stream
from .scenario import Parameters, Scenario, TransportParameters
from .units import factor_to_base

__all__ = [
    "Catalog",
    "DataError",
    "Factor",
    "Issue",
    "Link",
    "Location",
    "Member",
    "Network",
    "Parameters",
    "Resource",
    "Scenario",
    "ScenarioError",
    "Stream",
    "Substitute",
    "SymbioseError",
    "TransportParameters",
    "ewc_table",
    "factor_to_base",
    "load",
    "load_catalog",
    "load_network",
    "read_tables",
]
