"""Fixtures for the Open311 tests: a live client key and a helper that files requests."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from grid_app.open311 import keys

from ..geo import lonlat

BASE = "/open311/v2"


@pytest.fixture()
def api_key(session):
    """A live Open311 key for client 'test-client'."""
    plain = keys.issue(session, "test-client")
    session.commit()
    return plain


@pytest.fixture()
def file_request(client, api_key):
    """file_request(fmt="json", x=100, y=300, **fields) POSTs a request and returns the response."""
    def _file(fmt="json", x=100, y=300, **fields):
        lon, lat = lonlat(x, y)
        form = {"api_key": api_key, "service_code": "0101", "lat": f"{lat:.7f}", "long": f"{lon:.7f}",
                "description": "小区门口垃圾没人清理"}
        form.update(fields)
        return client.post(f"{BASE}/requests.{fmt}", data={k: v for k, v in form.items() if v is not None})
    return _file


def body(res):
    """The parsed JSON body, or the XML root element."""
    if res.content_type.startswith("application/json"):
        return json.loads(res.get_data(as_text=True))
    assert res.content_type.startswith("text/xml"), res.content_type
    text = res.get_data()
    assert text.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(text)


def xml_items(root, item_tag):
    """The children of an XML list as dicts of tag → text (nested lists left as elements)."""
    return [{child.tag: (child.text if len(child) == 0 else child) for child in item}
            for item in root.findall(item_tag)]
