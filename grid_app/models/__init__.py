"""SQLAlchemy models; importing this package registers every table on Base.metadata."""
from .audit import AuditEvent
from .base import Base
from .facilities import FACILITY_TYPES, Facility, FacilityType
from .hierarchy import Building, Community, Grid, PartyOrganisation, ResidentialArea, Street
from .cases import CHANNELS, LEVELS, OPEN_STATES, STATES, Case, CaseEvent, CasePhoto, Category
from .network import CoverageResult, CoverageRun, DatasetVersion, NetworkEdge, NetworkNode
from .open311 import Open311Key, Open311Request  # noqa: F401  (Open311 clients and requests)
from .users import ROLES, ApiToken, User, UserSession, user_grid

__all__ = [
    "AuditEvent",
    "Base", "Building", "Community", "FACILITY_TYPES", "Facility", "FacilityType", "Grid",
    "PartyOrganisation", "ResidentialArea", "Street", "ROLES", "ApiToken", "User", "UserSession", "user_grid",
    "CHANNELS", "LEVELS", "OPEN_STATES", "STATES", "Case", "CaseEvent", "CasePhoto", "Category",
    "CoverageResult", "CoverageRun", "DatasetVersion", "NetworkEdge", "NetworkNode",
]
