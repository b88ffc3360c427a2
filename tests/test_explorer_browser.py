"""cr.viz.html's page in a real browser: headless Chromium, file://, offline, via selenium.

Screenshots land in $CHAINRULE_ARTIFACTS (default build/artifacts) to be looked at.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule import viz
from chainrule.explain import SEED_LR, explain, seed_network
from chainrule.viz import layout

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("CHAINRULE_ARTIFACTS", ROOT / "build" / "artifacts"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,900",
]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (pip install)")
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip("needs Chromium and its driver (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER)
    driver = webdriver.Chrome(options=options, service=service)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def seed_page(tmp_path_factory):
    path = tmp_path_factory.mktemp("page") / "explain.html"
    report = explain(seed_network, SEED_LR, html=path)
    return path, report


def _open(driver, path: Path) -> float:
    """Load the page; the ms its script took to be ready (performance.now at its end)."""
    driver.get(path.as_uri())
    ready = driver.execute_script("return document.body.dataset.ready")
    assert ready is not None, "the page's script did not finish"
    return float(ready)


def _errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def _panel(driver) -> str:
    return driver.find_element("id", "panel").text


def _shoot(driver, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / name))


def _pretty(text: str) -> str:
    return text.replace(" * ", " \u00d7 ")


def _data(driver) -> dict:
    return json.loads(driver.find_element("id", "page-data").get_attribute("textContent"))


def test_page_loads_offline_without_console_errors(browser, seed_page):
    path, _ = seed_page
    _open(browser, path)
    assert _errors(browser) == []
    assert "Forward pass" in _panel(browser)
    _shoot(browser, "explorer-forward.png")


def test_page_shows_forward_values(browser, seed_page):
    path, _ = seed_page
    _open(browser, path)
    svg = browser.find_element("css selector", "#graph svg").text
    for value in ["x0 = 2", "w6 = 0.9", "o3 = 0.6445", "cost = 0.03796", "Sigmoid"]:
        assert value in svg
    width = browser.find_element("css selector", "#graph svg").get_attribute("width")
    browser.find_element("id", "zoom-out").click()
    zoomed = browser.find_element("css selector", "#graph svg").get_attribute("width")
    assert int(zoomed) == pytest.approx(0.8 * int(width), abs=1)


def test_next_and_keys_walk_every_step_with_the_trace_numbers(browser, seed_page):
    path, _ = seed_page
    _open(browser, path)
    steps = _data(browser)["steps"]
    assert len(steps) == 25
    next_button = browser.find_element("id", "next")
    body = browser.find_element("tag name", "body")
    for number, step in enumerate(steps, 1):
        if number % 2:
            next_button.click()
        else:
            body.send_keys("\ue014")  # the right arrow key
        text = _panel(browser)
        assert f"Backward step {number} of 25" in text
        assert step["head"] in text
        for term in step["terms"]:
            assert _pretty(term["formula"] + " = " + term["numbers"]) in text
        current = browser.find_elements("css selector", ".node.current")
        assert [e.get_attribute("id") for e in current] == ["node-" + step["node"]]
        red = browser.find_elements("css selector", ".edge.current")
        assert sorted(e.get_attribute("id") for e in red) == sorted(
            "edge-" + term["edge"] for term in step["terms"]
        )
        if number == 4:
            assert "dcost/dz3 = dcost/do3 \u00d7 do3/dz3 = -0.2755 \u00d7 0.2291 = -0.06313" in text
            _shoot(browser, "explorer-step4.png")
    body.send_keys("\ue012")  # left: back to step 24
    assert "Backward step 24 of 25" in _panel(browser)
    browser.find_element("id", "prev").click()
    assert "Backward step 23 of 25" in _panel(browser)
    assert _errors(browser) == []


def test_last_position_is_the_sgd_update(browser, seed_page):
    path, report = seed_page
    _open(browser, path)
    box = browser.find_element("id", "step")
    box.clear()
    box.send_keys("26\n")
    text = _panel(browser)
    assert "SGD update, lr 0.5" in text
    assert "w0 = 0.15 - 0.5 \u00d7 -0.00577 = 0.1529" in text
    for name, new in report.after.items():
        assert f"{name} = " in text and f"= {float(new):.4g}" in text
    assert len(browser.find_elements("css selector", ".node.updated")) == 13
    assert browser.find_element("id", "next").get_attribute("disabled") == "true"
    _shoot(browser, "explorer-update.png")


def test_play_animates_to_the_update(browser, seed_page):
    path, _ = seed_page
    _open(browser, path)
    browser.execute_script("window.setInterval = (f) => { for (let k = 0; k < 40; k++) f(); }")
    browser.find_element("id", "play").click()
    assert "SGD update" in _panel(browser)


def _mlp_page(tmp_path: Path, collapse: bool | None) -> Path:
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    x = cr.tensor(rng.standard_normal((32, 784)).astype(np.float32))
    with viz.capture(model) as modules:
        loss = F.cross_entropy(model(x), rng.integers(0, 10, 32))
    path = tmp_path / f"mlp-{collapse}.html"
    viz.html(loss, path, modules=modules, collapse=collapse)
    return path


def test_module_clusters_fold_and_unfold(browser, tmp_path):
    _open(browser, _mlp_page(tmp_path, collapse=False))
    covers = browser.find_elements("css selector", ".cover")
    assert covers and all("hidden" in c.get_attribute("class") for c in covers)
    browser.find_element("xpath", "//button[text()='Fold all']").click()
    assert len(browser.find_elements("css selector", ".cover:not(.hidden)")) == 3
    _shoot(browser, "explorer-mlp-folded.png")
    browser.find_element("css selector", ".cover:not(.hidden)").click()  # unfold one
    assert len(browser.find_elements("css selector", ".cover:not(.hidden)")) == 2
    assert _errors(browser) == []


def test_mlp_784_256_10_page_loads_fast(browser, tmp_path):
    """Records the load times in explorer-timings.txt (no wall-time asserts in tests)."""
    lines = []
    for collapse in (None, True):
        path = _mlp_page(tmp_path, collapse=collapse)
        start = time.perf_counter()
        script_ms = _open(browser, path)
        load_s = time.perf_counter() - start
        assert _errors(browser) == []
        assert "layers.0" in browser.find_element("css selector", "#graph svg").text
        browser.find_element("id", "next").click()
        assert "Backward step 1 of 4" in _panel(browser)
        _shoot(browser, f"explorer-mlp-collapse-{collapse}.png")
        lines.append(
            f"784-256-10 MLP page (collapse={collapse}), {path.stat().st_size} bytes: "
            f"driver.get {load_s:.3f} s, page script ready at {script_ms:.0f} ms\n"
        )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "explorer-timings.txt").write_text("".join(lines))


def test_page_laid_out_without_dot(browser, tmp_path, monkeypatch):
    monkeypatch.setattr(layout, "shutil", SimpleNamespace(which=lambda name: None))
    path = tmp_path / "own.html"
    viz.html(seed_network(), path, lr=SEED_LR)
    _open(browser, path)
    assert "layout: chainrule's layered layout" in browser.find_element("id", "footer").text
    for _ in range(4):
        browser.find_element("id", "next").click()
    assert "dcost/dz3 = dcost/do3 \u00d7 do3/dz3 = -0.2755 \u00d7 0.2291 = -0.06313" in _panel(
        browser
    )
    assert _errors(browser) == []
    _shoot(browser, "explorer-own-layout-step4.png")


def test_collapsed_page_highlights_the_module(browser, tmp_path):
    rng = np.random.default_rng(0)
    model = nn.Sequential(*[nn.Sigmoid() if k % 2 else nn.Linear(3, 3) for k in range(50)])
    with viz.capture(model) as modules:
        loss = model(cr.tensor(rng.standard_normal((2, 3)))).sum()
    path = tmp_path / "deep.html"
    viz.html(loss, path, modules=modules)
    _open(browser, path)
    assert "collapsed to one node per module" in browser.find_element("id", "footer").text
    browser.find_element("id", "next").click()
    browser.find_element("id", "next").click()
    current = browser.find_elements("css selector", ".node.current")
    assert [e.get_attribute("id") for e in current] == ["node-m_layers_49"]
    assert _errors(browser) == []
    _shoot(browser, "explorer-collapsed.png")
