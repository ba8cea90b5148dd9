"""Fixtures for the fuzz tests: an admin bearer token and a few real cases to aim at."""
from __future__ import annotations

import pytest

from grid_app.access.accounts import issue_token

from ..cases.helpers import jpeg, log_case


@pytest.fixture()
def admin_token(session, users):
    """A bearer token of the admin user (rolled back with the test)."""
    plain, _ = issue_token(session, users["admin"], "fuzz")
    session.commit()
    return plain


@pytest.fixture()
def known_cases(app, session, users):
    """Ids of a few cases in different states, one with a photo, so fuzzed ids sometimes hit."""
    cases = []
    for i, (x, y) in enumerate([(100, 300), (250, 750), (900, 900), (-500, 300)]):
        photos = [("p.jpg", jpeg(40, 30))] if i == 0 else []
        case, _ = log_case(session, users["worker"], x, y, photos=photos, upload_dir=app.config["UPLOAD_DIR"])
        cases.append(case)
    session.commit()
    return cases
