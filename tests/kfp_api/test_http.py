"""The KFP API at the HTTP level, as any client sees it: healthz without credentials,
every other call authenticated like the rest of kflow, and KFP's error bodies."""

from __future__ import annotations

import json
import ssl
from typing import Any

import httpx
import pytest

from tests.training.conftest import Up

pytestmark = pytest.mark.slow


def http(up: Up, token: str | None = "") -> httpx.Client:
    info = json.loads((up.home / "server.json").read_text())
    headers = {"Authorization": f"Bearer {token or info['token']}"} if token is not None else {}
    verify = ssl.create_default_context(cafile=info["ca"])
    return httpx.Client(base_url=info["url"], verify=verify, headers=headers, timeout=30)


def test_healthz_needs_no_credentials_and_the_rest_does(kfp_up: Up) -> None:
    with http(kfp_up, token=None) as anonymous:
        health = anonymous.get("/apis/v2beta1/healthz")
        assert health.status_code == 200
        assert health.json() == {"multi_user": False, "pipeline_store": "database"}
        denied = anonymous.get("/apis/v2beta1/runs")
        assert denied.status_code == 401 and denied.json()["code"] == 16
    with http(kfp_up, token="wrong") as wrong:
        assert wrong.get("/apis/v2beta1/experiments").status_code == 401


def test_errors_come_in_kfps_gateway_shape(kfp_up: Up) -> None:
    with http(kfp_up) as client:
        missing = client.get("/apis/v2beta1/experiments/no-such-id")
        body: dict[str, Any] = missing.json()
        assert missing.status_code == 404
        assert body["code"] == 5 and body["message"] == body["error"]
        assert body["details"][0]["error_message"] == body["message"]
        unknown = client.get("/apis/v2beta1/nothing-here")
        assert unknown.status_code == 404 and unknown.json()["code"] == 5
        bad_json = client.post("/apis/v2beta1/experiments", content=b"{nope")
        assert bad_json.status_code == 400 and "not valid JSON" in bad_json.json()["message"]
        nameless = client.post("/apis/v2beta1/experiments", json={"description": "x"})
        assert nameless.status_code == 400 and "non-empty name" in nameless.json()["message"]
        no_file = client.post("/apis/v2beta1/pipelines/upload", files={"other": ("a.yaml", b"x")})
        assert no_file.status_code == 400
        assert set(no_file.json()) == {"error_message", "error_details"}
