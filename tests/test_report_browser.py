"""The report of a small scripted run, opened from disk in headless Debian chromium."""

from __future__ import annotations

import json
import shutil

import pytest
from report_support import FEEDBACK_TEXT, STEPS, chrome, make_run
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from textgrad_sci.report import write_report

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    directory = tmp_path_factory.mktemp("browser-run")
    made = make_run(directory)
    report = write_report(directory)
    driver = chrome(tmp_path_factory.mktemp("chrome-profile"))
    try:
        driver.get(report.resolve().as_uri())
        yield driver, made, directory
    finally:
        driver.quit()


def _visible_step(driver):
    return driver.find_element(By.CSS_SELECTOR, ".step:not([hidden])")


def _click(driver, element):
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    element.click()


def test_counts_shown(page):
    driver, made, _ = page
    assert driver.find_element(By.ID, "step-count").text == str(STEPS)
    step = _visible_step(driver)
    assert step.get_attribute("data-step") == str(STEPS - 1)
    n_nodes = len(made["snapshots"][-1]["nodes"])
    assert step.find_element(By.CSS_SELECTOR, ".node-count").text == str(n_nodes)
    assert len(step.find_elements(By.CSS_SELECTOR, ".graph .node")) == n_nodes
    assert len(driver.find_elements(By.CSS_SELECTOR, "#timeline tr.step-row")) == STEPS


def test_click_a_node_shows_its_feedback_and_source(page, tmp_path):
    driver, made, directory = page
    step = _visible_step(driver)
    detail = step.find_element(By.CSS_SELECTOR, '.node-detail[data-name="solution"]')
    assert not detail.is_displayed()
    _click(driver, step.find_element(By.CSS_SELECTOR, '.graph .node[data-name="solution"]'))
    WebDriverWait(driver, 5).until(lambda d: detail.is_displayed())
    assert FEEDBACK_TEXT in detail.text
    key = str(next(n["id"] for n in made["snapshots"][-1]["nodes"] if n["name"] == "solution"))
    lit = step.find_elements(By.CSS_SELECTOR, ".graph .edge.lit")
    assert lit and all(
        key in (e.get_attribute("data-from"), e.get_attribute("data-to")) for e in lit
    )
    assert "Water boils at 100 C (373 K), revision 2." in detail.text
    source = detail.find_element(By.CSS_SELECTOR, "a.goto-node")
    answer = next(n for n in made["snapshots"][-1]["nodes"] if n["role"] == "checked answer")
    assert source.text == answer["name"]
    shot = tmp_path / "report.png"
    assert driver.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    shutil.copy(shot, directory / "browser-screenshot.png")  # kept beside the run for a look
    _click(driver, source)
    answer_detail = step.find_element(
        By.CSS_SELECTOR, f'.node-detail[data-name="{answer["name"]}"]'
    )
    WebDriverWait(driver, 5).until(lambda d: answer_detail.is_displayed())
    assert not detail.is_displayed() and "checked answer" in answer_detail.text


def test_timeline_selects_a_step_and_search_finds_text(page):
    driver, _, _ = page
    _click(driver, driver.find_element(By.CSS_SELECTOR, '#timeline tr.step-row[data-step="0"] td'))
    assert _visible_step(driver).get_attribute("data-step") == "0"
    assert driver.current_url.endswith("#step-0")  # a link to this step
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)
    assert _visible_step(driver).get_attribute("data-step") == "1"
    box = driver.find_element(By.ID, "search")
    _click(driver, box)
    box.send_keys("docking tool crashed")
    WebDriverWait(driver, 5).until(lambda d: d.find_element(By.ID, "search-count").text)
    assert driver.find_element(By.ID, "search-count").text == "1 match"
    marks = driver.find_elements(By.CSS_SELECTOR, "mark.hl")
    assert len(marks) == 1 and marks[0].text == "docking tool crashed"
    box.clear()
    box.send_keys("kelvin")
    WebDriverWait(driver, 5).until(
        lambda d: "matches" in d.find_element(By.ID, "search-count").text
    )
    hits = driver.find_elements(By.CSS_SELECTOR, "#timeline .hits")
    assert all(int(h.get_attribute("textContent")) > 0 for h in hits)
    box.clear()
    box.send_keys("REVISION 2" + Keys.ENTER)  # Enter searches at once and jumps to the match
    marks = driver.find_elements(By.CSS_SELECTOR, "mark.hl")
    assert marks and {m.get_attribute("textContent") for m in marks} == {"revision 2"}
    active = driver.find_element(By.CSS_SELECTOR, "mark.hl.active")
    assert active.is_displayed()
    driver.get(driver.current_url.split("#")[0] + "#step-1")
    driver.refresh()
    assert _visible_step(driver).get_attribute("data-step") == "1"


def test_no_network_request_and_no_errors(page):
    driver, _, _ = page
    resources = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".concat(performance.getEntriesByType('navigation').map(e => e.name));"
    )
    assert resources and all(u.startswith(("file:", "data:")) for u in resources), resources
    report_url = driver.current_url.split("#")[0]
    sent = [
        json.loads(entry["message"])["message"]["params"]
        for entry in driver.get_log("performance")
        if '"Network.requestWillBeSent"' in entry["message"]
    ]
    # the browser's own start page (chrome://) may appear; nothing may leave the machine
    assert not [
        p["request"]["url"]
        for p in sent
        if not p["request"]["url"].startswith(("file:", "data:", "chrome:", "about:"))
    ]
    ours = [p["request"]["url"] for p in sent if p.get("documentURL") == report_url]
    assert report_url in ours and all(u.startswith(("file:", "data:")) for u in ours), ours
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
