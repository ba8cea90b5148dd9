"""SQLAlchemy models; importing this package registers every table on Base.metadata."""
from .base import Base
from .facilities import FACILITY_TYPES, Facility, FacilityType
from .hierarchy import Building, Community, Grid, PartyOrganisation, ResidentialArea, Street
from .users import ROLES, ApiToken, User, user_grid

__all__ = [
    "Base", "Building", "Community", "FACILITY_TYPES", "Facility", "FacilityType", "Grid",
    "PartyOrganisation", "ResidentialArea", "Street", "ROLES", "ApiToken", "User", "user_grid",
]
