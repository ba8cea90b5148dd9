"""SQLAlchemy models; importing this package registers every table on Base.metadata."""
from grid_app.models.audit import AuditEvent
from grid_app.models.base import Base
from grid_app.models.care import VISIT_KINDS, CareLevel, CareTag, ResidentCare, Visit  # noqa: F401  (care plans, visits)
from grid_app.models.case_stats import CaseStats  # noqa: F401  (indicator counts per grid and month)
from grid_app.models.cases import CHANNELS, LEVELS, OPEN_STATES, STATES, Case, CaseEvent, CasePhoto, Category
from grid_app.models.facilities import FACILITY_TYPES, Facility, FacilityType
from grid_app.models.measures import DemandGroup, LifeCircleItem  # noqa: F401  (planners' measures)
from grid_app.models.hierarchy import Building, Community, Grid, PartyOrganisation, ResidentialArea, Street
from grid_app.models.network import CoverageResult, CoverageRun, DatasetVersion, NetworkEdge, NetworkNode
from grid_app.models.open311 import Open311Key, Open311Request  # noqa: F401  (Open311 clients and requests)
from grid_app.models.party import MEMBER_STATUSES, PartyMember, PartyUnit  # noqa: F401  (双报到)
from grid_app.models.party_service import (ActivitySignup, Activity, CaseHelper, MemberRemark,  # noqa: F401  (service)
                                          PostClaim, ServicePost, Wish)
from grid_app.models.people import Household, Resident  # noqa: F401  (the household register)
from grid_app.models.scenario import CoverageScenario  # noqa: F401  (saved coverage scenarios)
from grid_app.models.tiles import TileSeed  # noqa: F401  (low-zoom tiles rendered ahead)
from grid_app.models.users import ROLES, ApiToken, User, UserSession, user_grid

__all__ = [
    "AuditEvent",
    "Base", "Building", "Community", "FACILITY_TYPES", "Facility", "FacilityType", "Grid",
    "PartyOrganisation", "ResidentialArea", "Street", "ROLES", "ApiToken", "User", "UserSession", "user_grid",
    "CHANNELS", "LEVELS", "OPEN_STATES", "STATES", "Case", "CaseEvent", "CasePhoto", "Category",
    "CoverageResult", "CoverageRun", "DatasetVersion", "NetworkEdge", "NetworkNode",
]
