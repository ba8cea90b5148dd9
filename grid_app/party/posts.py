"""Service posts (岗位): a community's secretary defines them, approved members of the community claim them.

A post is read by whoever reads its community's party side (scope.party_community_clause); only the
desk roles define posts (audited), only a `member` account claims or releases one, for itself.
Members see how many hold a post and whether they do, never who else does.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from grid_app.access import scope
from grid_app.models import Building, User
from grid_app.models.party import PartyMember
from grid_app.models.party_service import PostClaim, ServicePost
from grid_app.party.units import party_community
from grid_app.people.masking import mask_name
from grid_app.platform import audit
from grid_app.platform.errors import Conflict, Forbidden, InvalidInput, NotFound
from grid_app.platform.text import optional_text

EXAMPLE_POSTS = ("政策宣传", "环境整治", "治安巡逻", "文明劝导", "关爱帮扶", "矛盾调解")
MAX_NAME, MAX_DESCRIPTION = 50, 2000


def acting_member(session: Session, user: User) -> PartyMember:
    """The approved party member behind a `member` login; Forbidden for anyone else."""
    if user.role != "member":
        raise Forbidden("only a party member's own login may do this", code="forbidden")
    member = session.scalar(select(PartyMember).where(PartyMember.user_id == user.id))
    if member is None or member.status != "approved":
        raise Forbidden("your party member registration is not approved", code="not_approved")
    return member


def home_community_id(session: Session, member: PartyMember) -> int:
    """The community of the member's home building."""
    return session.scalar(select(Building.community_id).where(Building.id == member.building_id))


@dataclass(frozen=True)
class PostInput:
    """A checked post definition."""

    community: str
    name: str
    description: str | None


def parse_post(body) -> PostInput:
    """Check a post's JSON body (community code, name, description) or raise InvalidInput naming the field."""
    if not isinstance(body, dict):
        raise InvalidInput('body must be a JSON object {"community": ..., "name": ..., "description": ...}',
                           code="bad_body")
    community = optional_text(body.get("community"), "community", 32, code="bad_community")
    if not community:
        raise InvalidInput("community (a community code) is required", code="bad_community")
    name = optional_text(body.get("name"), "name", MAX_NAME, code="bad_name")
    if not name:
        raise InvalidInput(f"name is required (e.g. {'、'.join(EXAMPLE_POSTS)})", code="bad_name")
    description = optional_text(body.get("description"), "description", MAX_DESCRIPTION, code="bad_description")
    return PostInput(community, name, description)


def create_post(session: Session, user: User, data: PostInput) -> ServicePost:
    """A new post of a community the desk user acts in (flush only, audited); 409 when the name exists."""
    scope.require_party_role(user, desk=True)
    community = party_community(session, user, data.community)
    taken = session.scalar(select(ServicePost.id).where(ServicePost.community_id == community.id,
                                                        ServicePost.name == data.name))
    if taken is not None:
        raise Conflict(f"the community already has a post named {data.name!r}", code="post_exists")
    post = ServicePost(community=community, community_id=community.id, name=data.name, description=data.description,
                       street_code=community.street_code, active=True)
    try:
        with session.begin_nested():  # the same name saved at the same moment by another desk
            session.add(post)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"the community already has a post named {data.name!r}", code="post_exists") from exc
    audit.record(session, "service-post-create", {"post": post.id, "community": community.code,
                                                  "name": post.name}, actor=user)
    return post


def post_query(user: User):
    """A select over ServicePost limited to the communities whose party side the user reads."""
    if user.role not in scope.PARTY_MEMBER_ROLES:
        raise Forbidden(f"role {user.role!r} may not read service posts", code="forbidden")
    return select(ServicePost).where(scope.party_community_clause(user, ServicePost.community_id))


def get_post(session: Session, user: User, post_id: int, *, for_update: bool = False) -> ServicePost:
    """The post if the user reads its community; NotFound otherwise (out of scope looks absent)."""
    query = post_query(user).where(ServicePost.id == post_id)
    found = session.scalar(query.with_for_update(of=ServicePost) if for_update else query)
    if found is None:
        raise NotFound(f"no service post {post_id}", code="post_not_found")
    return found


def list_posts(session: Session, user: User, *, community: str | None = None) -> list[dict]:
    """Posts the user reads with their current holders (desk: names; a member: a count and `held_by_me`)."""
    query = post_query(user)
    if community:
        query = query.where(ServicePost.community_id == party_community(session, user, community).id)
    posts = list(session.scalars(query.order_by(ServicePost.community_id, ServicePost.active.desc(), ServicePost.id)))
    holders: dict[int, list[tuple[int, str, datetime]]] = {}
    rows = session.execute(select(PostClaim.post_id, PartyMember.id, PartyMember.name, PostClaim.claimed_at)
                           .join(PartyMember, PostClaim.member_id == PartyMember.id)
                           .where(PostClaim.post_id.in_([p.id for p in posts]), PostClaim.released_at.is_(None))
                           .order_by(PostClaim.claimed_at, PostClaim.id))
    for post_id, member_id, name, claimed_at in rows:
        holders.setdefault(post_id, []).append((member_id, name, claimed_at))
    me = session.scalar(select(PartyMember.id).where(PartyMember.user_id == user.id)) if user.role == "member" else None
    return [post_json(p, holders.get(p.id, []), user, me) for p in posts]


def post_json(post: ServicePost, holders: list[tuple[int, str, datetime]], user: User, me: int | None) -> dict:
    """A post as the API shows it to this user."""
    item = {"id": post.id, "community": post.community.code, "community_name": post.community.name,
            "name": post.name, "description": post.description, "active": post.active,
            "holders_count": len(holders)}
    if user.role == "member":
        item["held_by_me"] = any(h[0] == me for h in holders)
    else:
        item["holders"] = [{"member_id": mid, "name": name if user.role != "street" else mask_name(name),
                            "claimed_at": at.isoformat()} for mid, name, at in holders]
    return item


def current_claim(session: Session, post_id: int, member_id: int) -> PostClaim | None:
    """The member's unreleased claim on the post, if any."""
    return session.scalar(select(PostClaim).where(PostClaim.post_id == post_id, PostClaim.member_id == member_id,
                                                  PostClaim.released_at.is_(None)))


def claim(session: Session, user: User, post_id: int) -> tuple[PostClaim, bool]:
    """The member takes the post (True), or already holds it (False); flush only."""
    member = acting_member(session, user)
    post = get_post(session, user, post_id, for_update=True)  # a member reads only their home community's posts
    existing = current_claim(session, post.id, member.id)
    if existing is not None:
        return existing, False
    if not post.active:
        raise Conflict(f"post {post.id} is no longer offered", code="post_inactive")
    held = PostClaim(post_id=post.id, member_id=member.id, claimed_at=datetime.now(timezone.utc))
    session.add(held)
    session.flush()
    return held, True


def release(session: Session, user: User, post_id: int) -> PostClaim:
    """The member gives the post back (the claim is kept with its release time); flush only."""
    member = acting_member(session, user)
    post = get_post(session, user, post_id, for_update=True)
    held = current_claim(session, post.id, member.id)
    if held is None:
        raise Conflict(f"you do not hold post {post.id}", code="not_claimed")
    held.released_at = max(datetime.now(timezone.utc), held.claimed_at)
    session.flush()
    return held


def claim_json(held: PostClaim) -> dict:
    """A claim as the API shows it to its member."""
    return {"post_id": held.post_id, "member_id": held.member_id, "claimed_at": held.claimed_at.isoformat(),
            "released_at": held.released_at.isoformat() if held.released_at else None}


def posts_held(session: Session, member_id: int) -> list[str]:
    """Names of the posts the member holds now (the phone's summary)."""
    return list(session.scalars(select(ServicePost.name).join(PostClaim, PostClaim.post_id == ServicePost.id)
                                .where(PostClaim.member_id == member_id, PostClaim.released_at.is_(None))
                                .order_by(PostClaim.claimed_at)))


def count_posts(session: Session, community_id: int) -> int:
    """How many active posts a community offers."""
    return session.scalar(select(func.count(ServicePost.id)).where(ServicePost.community_id == community_id,
                                                                   ServicePost.active))
