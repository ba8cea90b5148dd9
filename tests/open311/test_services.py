"""Discovery, the service list and service definitions, in JSON and XML, against the spec's fields."""
from __future__ import annotations

import pytest

from .conftest import BASE, body, xml_items

SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
ATTRIBUTE_FIELDS = ["variable", "code", "datatype", "required", "datatype_description", "order",
                    "description", "values"]
DISCOVERY_FIELDS = ["changeset", "contact", "key_service", "endpoints"]
ENDPOINT_FIELDS = ["specification", "url", "changeset", "type", "formats"]


def test_discovery_json(client):
    res = client.get(f"{BASE}/discovery.json")
    assert res.status_code == 200
    doc = body(res)
    assert list(doc) == DISCOVERY_FIELDS
    endpoint = doc["endpoints"][0]
    assert list(endpoint) == ENDPOINT_FIELDS
    assert endpoint["url"].endswith("/open311/v2/")
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}


def test_discovery_xml(client):
    root = body(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert [c.tag for c in root] == DISCOVERY_FIELDS
    endpoint = root.find("endpoints/endpoint")
    assert [c.tag for c in endpoint] == ENDPOINT_FIELDS
    assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]


def test_services_json(client):
    services = body(client.get(f"{BASE}/services.json"))
    assert isinstance(services, list) and len(services) >= 20
    for service in services:
        assert list(service) == SERVICE_FIELDS
        assert service["type"] == "realtime"
    by_code = {s["service_code"]: s for s in services}
    assert by_code["0101"]["service_name"] == "暴露垃圾"
    assert by_code["0101"]["group"] == "市容环境"
    assert by_code["0101"]["metadata"] is False
    assert by_code["0402"]["metadata"] is True  # asks whether water is still flowing
    assert "垃圾" in by_code["0101"]["keywords"]


def test_services_xml_and_english(client):
    root = body(client.get(f"{BASE}/services.xml?lang=en"))
    assert root.tag == "services"
    items = xml_items(root, "service")
    assert all(list(i) == SERVICE_FIELDS for i in items)
    by_code = {i["service_code"]: i for i in items}
    assert by_code["0101"]["service_name"] == "Exposed rubbish"
    assert by_code["0101"]["metadata"] == "false" and by_code["0801"]["metadata"] == "true"


def test_definition_with_attributes_json(client):
    doc = body(client.get(f"{BASE}/services/0801.json"))
    assert list(doc) == ["service_code", "attributes"]
    assert doc["service_code"] == "0801"
    (attr,) = doc["attributes"]
    assert list(attr) == ATTRIBUTE_FIELDS
    assert attr["datatype"] == "multivaluelist" and attr["required"] is True and attr["order"] == 1
    assert {"key": "meals", "name": "送餐"} in attr["values"]


def test_definition_with_attributes_xml(client):
    root = body(client.get(f"{BASE}/services/0402.xml"))
    assert root.tag == "service_definition"
    attr = root.find("attributes/attribute")
    assert [c.tag for c in attr] == ATTRIBUTE_FIELDS
    assert attr.findtext("code") == "FLOWING" and attr.findtext("required") == "true"
    assert [v.findtext("key") for v in attr.findall("values/value")] == ["yes", "no"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_definition_without_attributes_is_empty(client, fmt):
    res = client.get(f"{BASE}/services/0101.{fmt}")
    assert res.status_code == 200
    doc = body(res)
    if fmt == "json":
        assert doc == {"service_code": "0101", "attributes": []}
    else:
        assert doc.findtext("service_code") == "0101" and len(doc.find("attributes")) == 0


def test_unknown_service_404_in_both_formats(client):
    res = client.get(f"{BASE}/services/7777.json")
    assert res.status_code == 404
    (error,) = body(res)
    assert list(error) == ["code", "description"] and error["code"] == 404
    res = client.get(f"{BASE}/services/7777.xml")
    assert res.status_code == 404
    root = body(res)
    assert root.tag == "errors"
    assert root.findtext("error/code") == "404" and "7777" in root.findtext("error/description")


def test_unknown_format_is_a_clear_400(client):
    res = client.get(f"{BASE}/services.csv")
    assert res.status_code == 400
    assert "json or .xml" in body(res)[0]["description"]


def test_unknown_paths_and_methods_answer_in_the_spec_format(client):
    res = client.get(f"{BASE}/tokens/abc.xml")
    assert res.status_code == 404 and body(res).findtext("error/code") == "404"
    res = client.delete(f"{BASE}/requests.json")
    assert res.status_code == 405 and body(res)[0]["code"] == 405
    res = client.post(f"{BASE}/services.xml")
    assert res.status_code == 405 and body(res).tag == "errors"
