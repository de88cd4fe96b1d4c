"""The MNIST page in a real headless Chromium, on a real `kflow up` serving the demo's model.

The demo's classifier is trained by `kflow.demos.mnist_train`, put on a
PersistentVolumeClaim and served by an InferenceService (`modelFormat: custom`). The
browser signs in with the link `kflow demo` prints, draws digits with mouse strokes
(and one with touch), and reads the prediction and the ten bars off the page.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kflow.server.sessions import COOKIE
from kflow.server.ui import mnist_page_url
from tests.conftest import wait_until
from tests.training.conftest import Up
from tests.ui.conftest import PAD, Stroke, ellipse, seven, vertical_line

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed"),
]

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
# the machine may be busy (the model server, kflow and Chromium share it): generous waits
expect.set_options(timeout=30_000)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, mnist_model: Path) -> Iterator[Up]:
    """A `kflow up` with the demo's model served as the InferenceService default/mnist."""
    up = Up(tmp_path_factory.mktemp("kflow-ui"))
    try:
        shutil.copytree(
            mnist_model, up.home / "runtime" / "volumes" / "default" / "models" / "mnist"
        )
        with up.client() as kf:
            kf.create(
                {
                    "apiVersion": "v1",
                    "kind": "PersistentVolumeClaim",
                    "metadata": {"name": "models"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "1Gi"}},
                    },
                }
            )
            kf.create(
                {
                    "apiVersion": "serving.kserve.io/v1beta1",
                    "kind": "InferenceService",
                    "metadata": {"name": "mnist"},
                    "spec": {
                        "predictor": {
                            "model": {
                                "modelFormat": {"name": "custom"},
                                "storageUri": "pvc://models/mnist",
                            }
                        }
                    },
                }
            )
            try:
                kf.wait_for("isvc", "mnist", "condition=Ready", timeout=90)
                yield up
            finally:
                kf.delete("inferenceservices", "mnist")
                wait_until(lambda: not kf.list("pods").items, timeout=60, interval=0.1)
    finally:
        up.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


def _server(up: Up) -> dict[str, Any]:
    info: dict[str, Any] = json.loads((up.home / "server.json").read_text())
    return info


def _draw(page: Any, strokes: list[Stroke]) -> None:
    """Mouse strokes on the pad, in the pad's own pixel coordinates (0..280)."""
    box = page.locator("#pad").bounding_box()
    scale = box["width"] / PAD
    for stroke in strokes:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x * scale, box["y"] + y * scale)
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x * scale, box["y"] + y * scale, steps=3)
        page.mouse.up()


def _touch(page: Any, stroke: Stroke) -> None:
    """One finger stroke, as a touch screen reports it (Chrome DevTools Protocol)."""
    box = page.locator("#pad").bounding_box()
    scale = box["width"] / PAD
    cdp = page.context.new_cdp_session(page)
    points = [{"x": box["x"] + x * scale, "y": box["y"] + y * scale} for x, y in stroke]
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [points[0]]})
    for point in points[1:]:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def _bars(page: Any) -> list[float]:
    rows = page.locator("#bars li")
    assert rows.count() == 10
    assert [rows.nth(d).locator(".digit").text_content() for d in range(10)] == [
        str(d) for d in range(10)
    ]
    return [float(rows.nth(d).get_attribute("data-probability")) for d in range(10)]


def _answer(page: Any) -> tuple[int, list[float]]:
    """The prediction shown once the page is idle, and the ten bars' probabilities."""
    expect(page.locator("#prediction")).to_have_text(re.compile(r"^\d$"))
    expect(page.locator("body")).to_have_attribute("data-busy", "false")
    prediction = int(page.text_content("#prediction"))
    bars = _bars(page)
    assert abs(sum(bars) - 1) < 1e-6
    assert max(range(10), key=bars.__getitem__) == prediction
    expect(page.locator(f'#bars li[data-digit="{prediction}"]')).to_have_class(re.compile("top"))
    return prediction, bars


def _draw_and_read(page: Any, strokes: list[Stroke]) -> int:
    page.click("#clear")  # wipes the last drawing's answer (a test image's stays)
    expect(page.locator("#source")).not_to_have_text("your drawing")
    _draw(page, strokes)
    expect(page.locator("#source")).to_have_text("your drawing")
    return _answer(page)[0]


def test_draw_a_digit_and_see_the_prediction_and_ten_bars(
    served: Up, browser: Any, tmp_path: Path
) -> None:
    info = _server(served)
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 1100, "height": 860})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    try:
        page.goto(mnist_page_url(info["url"], "default", "mnist", token=info["token"]))
        expect(page).to_have_url(re.compile(r"/ui/mnist\?server=default%2Fmnist&model=mnist"))
        expect(page.locator("#connection")).to_have_text("\u2713 Connected (model version: 1)")

        # as in Kubeflow's example: a held-out test image, its truth and the prediction
        expect(page.locator("#source")).to_have_text(re.compile(r"^held-out #\d+$"))
        expect(page.locator("#truth")).to_have_text(re.compile(r"^\d$"))
        _answer(page)
        page.click("#test-image")
        _answer(page)

        assert _draw_and_read(page, vertical_line()) == 1
        assert _draw_and_read(page, ellipse()) == 0
        assert _draw_and_read(page, seven()) == 7
        page.screenshot(path=str(tmp_path / "mnist.png"), full_page=True, animations="disabled")

        # the same over TF Serving REST
        page.select_option("#protocol", "tfserving")
        page.click("#connect button[type=submit]")
        expect(page).to_have_url(re.compile(r"protocol=tfserving"))
        expect(page.locator("#connection")).to_have_text("\u2713 Connected (model version: 1)")
        _answer(page)
        assert _draw_and_read(page, vertical_line(x=100)) == 1
        expect(page.locator("#version")).to_have_text("\u2014")  # TF Serving's predict omits it

        assert problems == []  # no script error, no failed request so far

        # a server that is not there: said so, and no stale answer left on the page
        page.fill("#server", "default/nope")
        page.click("#connect button[type=submit]")
        expect(page.locator("#connection")).to_have_text(
            '\u2717 inferenceservices.serving.kserve.io "nope" not found'
        )
        expect(page.locator("#prediction")).to_have_text("\u2014")
        expect(page.locator("#truth")).to_have_text(re.compile(r"^\d$"))
        assert page.locator("#bars li[data-probability]").count() == 0
        _draw(page, vertical_line())
        expect(page.locator("#message")).to_have_text(
            'inferenceservices.serving.kserve.io "nope" not found'
        )

        # the credentials stay out of the page and the log
        assert info["token"] not in page.url and info["token"] not in page.content()
        cookies = [c for c in context.cookies() if c["name"] == COOKIE]
        assert len(cookies) == 1 and cookies[0]["httpOnly"] and cookies[0]["secure"]
        assert cookies[0]["sameSite"] == "Strict"
        assert page.evaluate("() => document.cookie") == ""
        assert info["token"] not in (served.home / "kflow.log").read_text()
        assert cookies[0]["value"] not in (served.home / "kflow.log").read_text()
    finally:
        context.close()


def test_a_digit_drawn_with_a_finger(served: Up, browser: Any) -> None:
    info = _server(served)
    context = browser.new_context(ignore_https_errors=True, has_touch=True)
    try:
        page = context.new_page()
        page.goto(mnist_page_url(info["url"], "default", "mnist", token=info["token"]))
        expect(page.locator("#connection")).to_have_text(re.compile("Connected"))
        page.click("#clear")
        _touch(page, vertical_line()[0])
        expect(page.locator("#source")).to_have_text("your drawing")
        assert _answer(page)[0] == 1
    finally:
        context.close()


def test_without_signing_in_the_page_asks_for_the_token(served: Up, browser: Any) -> None:
    info = _server(served)
    context = browser.new_context(ignore_https_errors=True)
    try:
        page = context.new_page()
        page.goto(mnist_page_url(info["url"], "default", "mnist"))
        expect(page).to_have_url(re.compile(r"/ui/login\?next="))
        page.fill("#token", "not-the-token")
        page.click("#login button[type=submit]")
        expect(page.locator(".error")).to_have_text("that token is not valid for this server")
        page.fill("#token", info["token"])
        page.click("#login button[type=submit]")
        expect(page).to_have_url(re.compile(r"/ui/mnist\?server=default%2Fmnist"))
        expect(page.locator("#connection")).to_have_text(re.compile("Connected"))
        page.click("text=Sign out")
        expect(page).to_have_url(re.compile(r"/ui/login$"))
        assert [c for c in context.cookies() if c["name"] == COOKIE] == []
    finally:
        context.close()
