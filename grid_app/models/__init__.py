"""SQLAlchemy models; importing this package registers every table on Base.metadata."""
from .base import Base
from .facilities import FACILITY_TYPES, Facility, FacilityType
from .hierarchy import Building, Community, Grid, PartyOrganisation, ResidentialArea, Street
from .cases import CHANNELS, LEVELS, OPEN_STATES, STATES, Case, CaseEvent, CasePhoto, Category
from .network import CoverageResult, CoverageRun, DatasetVersion, NetworkEdge, NetworkNode
from .users import ROLES, ApiToken, User, user_grid

__all__ = [
    "Base", "Building", "Community", "FACILITY_TYPES", "Facility", "FacilityType", "Grid",
    "PartyOrganisation", "ResidentialArea", "Street", "ROLES", "ApiToken", "User", "user_grid",
    "CHANNELS", "LEVELS", "OPEN_STATES", "STATES", "Case", "CaseEvent", "CasePhoto", "Category",
    "CoverageResult", "CoverageRun", "DatasetVersion", "NetworkEdge", "NetworkNode",
]
