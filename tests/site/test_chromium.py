"""The built team site in real headless Chromium (Debian's, via chromedriver) with the network cut off:
pages render, navigation works, diagrams draw, Material search and search-by-meaning find SOPs."""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (CHROMIUM.exists() and DRIVER.exists()),
                                 reason="Debian chromium + chromium-driver are missing: run `make site-deps`")]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A workspace made by `opsys init`, committed, indexed, built for the team and served with /api/search."""
    from typer.testing import CliRunner

    from opsys.ai.embeddings import load_embedder
    from opsys.cli.main import app
    from opsys.knowledge.index import build_index
    from opsys.views.site_server import build_site, make_server
    from opsys.workspace import Workspace
    from tests.site.test_site_build import commit_all

    root = tmp_path_factory.mktemp("site") / "ws"
    assert CliRunner().invoke(app, ["init", str(root)]).exit_code == 0
    ws = Workspace(root)
    commit_all(root)
    embedder = load_embedder()
    build_index(ws.sops, ws.var, embedder=embedder)
    site = build_site(ws, "team")
    server = make_server(ws, site, port=0)
    server.search_service._current()._embedder = embedder
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", site
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="opsys-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={profile}", "--window-size=1280,900",
                 # networking off: every host but the loopback goes to a dead proxy and resolves nowhere
                 "--proxy-server=http://127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                 "--allow-file-access-from-files"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=opts, service=Service(executable_path=str(DRIVER)))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def wait(driver, css: str, timeout: float = 20, count: int = 1):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, css)) >= count)
    return driver.find_elements(By.CSS_SELECTOR, css)


def requested_hosts(driver) -> set[str]:
    hosts = set()
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            url = msg["params"]["request"]["url"]
            if url.startswith(("http:", "https:")):
                hosts.add(urlsplit(url).hostname)
    return hosts


def test_pages_render_and_navigation_reaches_an_sop(served, browser):
    from selenium.webdriver.common.by import By

    base, _ = served
    browser.get(base)
    assert wait(browser, "article h1")[0].text == "Operations handbook"
    link = browser.find_element(By.CSS_SELECTOR, "nav.md-nav a.md-nav__link[href$='invoicing/']")
    browser.execute_script("arguments[0].click()", link)
    h1 = wait(browser, "article h1")[0]
    assert browser.current_url == base + "invoicing/" and h1.text.startswith("Invoicing")
    card = browser.find_element(By.CSS_SELECTOR, ".opsys-card").text
    assert "Owner: founder (Maya Okafor)" in card and "by Priya Natarajan" in card
    related = browser.find_elements(By.CSS_SELECTOR, "#related-procedures ~ ul a")
    assert "Checking an invoice against its timesheet" in [a.text for a in related]
    browser.execute_script("arguments[0].click()", related[0])
    wait(browser, "article h1")
    assert browser.current_url != base + "invoicing/"
    assert requested_hosts(browser) <= {"127.0.0.1"}


def test_diagrams_render_offline(served, browser):
    base, _ = served
    browser.get(base + "system-map/workflows/")
    # Material swaps each <pre class="mermaid"> source for a <div class="mermaid"> holding the drawn SVG
    # (in a closed shadow root, so only its box is visible from here): 8 drawn, none left as text
    drawn = wait(browser, "div.mermaid", count=8, timeout=30)
    assert all(d.size["height"] > 50 and d.size["width"] > 50 for d in drawn)
    assert not browser.find_elements("css selector", "pre.mermaid")
    SCREENSHOTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "system-map-workflows.png"))
    browser.get(base + "system-map/")
    flow = wait(browser, "div.mermaid", timeout=30)[0]
    assert flow.size["height"] > 50
    # drawn at its natural size (16 px labels), not shrunk to the column: it fits without scrolling
    # sideways, and it is taller than a wide graph scaled down to 720 px would be
    width, scroll = browser.execute_script("return [arguments[0].clientWidth, arguments[0].scrollWidth]", flow)
    assert scroll <= width + 1 and flow.size["height"] > 400
    browser.save_screenshot(str(SCREENSHOTS / "system-map-data-flow.png"))
    assert requested_hosts(browser) <= {"127.0.0.1"}  # Mermaid came from the site, not a CDN


def _type_search(browser, text: str) -> None:
    box = wait(browser, "input.md-search__input")[0]  # at 1280 px the box sits in the header
    box.click()
    box.clear()
    box.send_keys(text)


def test_material_search_finds_a_known_sop(served, browser):
    base, _ = served
    browser.get(base)
    _type_search(browser, "deposit")
    from selenium.webdriver.support.ui import WebDriverWait

    # Read the texts in one script call: Material re-renders the result list while results stream in,
    # so element handles taken one by one can go stale between two reads.
    texts = "return [...document.querySelectorAll('.md-search-result__item')].map(e => e.innerText)"
    WebDriverWait(browser, 20).until(
        lambda d: any("Contract and deposit" in t for t in d.execute_script(texts)))


def test_search_box_also_searches_by_meaning_when_served(served, browser):
    base, _ = served
    browser.get(base)
    _type_search(browser, "checkout on a customer's shop stopped working")
    hits = wait(browser, ".opsys-semantic__hit", timeout=30)
    assert "Handling an urgent client issue" in hits[0].text
    SCREENSHOTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "search-by-meaning.png"))
    hits[0].click()
    wait(browser, "article h1")
    assert urlsplit(browser.current_url).path == "/urgent-client-issue/"


def test_site_opened_as_plain_files_still_works(served, browser):
    _, site = served
    browser.get((site / "system-map" / "workflows" / "index.html").as_uri())
    assert wait(browser, "article h1")[0].text == "Workflows"
    assert all(d.size["height"] > 50 for d in wait(browser, "div.mermaid", count=8, timeout=30))
    browser.get((site / "index.html").as_uri())
    links = wait(browser, "article a[href$='lead-intake/']")
    assert links
    assert not browser.find_elements("css selector", ".opsys-semantic")
    assert requested_hosts(browser) <= {"127.0.0.1"}
