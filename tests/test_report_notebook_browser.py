"""A molecule, a radiotherapy, a code and a prompt report and a comparison page, opened from disk in
headless Debian chromium: the notebook's tables, RDKit drawings, DVH and dose slices render, and
nothing but file: and data: is loaded."""

from __future__ import annotations

import json

import pytest
from report_support import (
    MOLECULE_TRAJECTORY,
    chrome,
    make_code_run,
    make_molecule_run,
    make_prompt_run,
    make_radiotherapy_run,
)
from selenium.webdriver.common.by import By

from textgrad_sci.report import write_compare, write_report

pytestmark = pytest.mark.browser


MAKERS = {"molecule": make_molecule_run, "radiotherapy": make_radiotherapy_run,
          "code": make_code_run, "prompt": make_prompt_run}


class Pages:
    """Each domain's run and report, made on first use (one domain's failing tool fails only its
    test); ``made[name]`` is what the run's maker returned, ``path(name)`` its page."""

    def __init__(self, factory) -> None:
        self.factory, self.made, self._paths = factory, {}, {}

    def path(self, name: str):
        if name not in self._paths:
            if name == "compare":
                other = self.factory.mktemp("prompt-b")
                make_prompt_run(other, val=(0.25, 0.5, 0.9), lr_label="b")
                out = self.factory.mktemp("cmp") / "compare.html"
                self._paths[name] = write_compare([self.path("prompt").parent, other], out)
            else:
                directory = self.factory.mktemp(name)
                self.made[name] = MAKERS[name](directory)
                self._paths[name] = write_report(directory)
        return self._paths[name]


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    driver = chrome(tmp_path_factory.mktemp("chrome-profile"))
    try:
        yield driver, Pages(tmp_path_factory)
    finally:
        driver.quit()


def _open(driver, pages: Pages, name: str):
    path = pages.path(name)
    driver.get(path.resolve().as_uri())
    driver.get_log("performance")  # the log of this page only, from here on
    return driver


def _rendered(element) -> bool:
    size = element.size
    return element.is_displayed() and size["width"] > 20 and size["height"] > 20


def _only_local_loads(driver, path) -> None:
    resources = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".concat(performance.getEntriesByType('navigation').map(e => e.name));"
    )
    assert resources and all(u.startswith(("file:", "data:")) for u in resources), resources
    sent = [
        json.loads(entry["message"])["message"]["params"]["request"]["url"]
        for entry in driver.get_log("performance")
        if '"Network.requestWillBeSent"' in entry["message"]
    ]
    assert all(u.startswith(("file:", "data:", "chrome:", "about:")) for u in sent), sent
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], (path, errors)


def test_molecule_report(pages):
    driver, pages = pages
    _open(driver, pages, "molecule")
    made = pages.made["molecule"]
    first = driver.find_element(By.CSS_SELECTOR, "main > section")
    assert first.get_attribute("id") == "molecule-results"
    rows = driver.find_elements(By.CSS_SELECTOR, "table.mol-results tbody tr")
    assert [r.find_element(By.TAG_NAME, "td").text for r in rows][:3] == ["start", "final", "best"]
    assert len(rows) == 3 + 3  # start, final, best and DRD2's three reference drugs
    best = made["best"]
    assert f"{best['qed']:.4g}" in rows[2].text
    drawings = driver.find_elements(By.CSS_SELECTOR, "#molecule-results figure.mol svg")
    assert len(drawings) == 6 and all(_rendered(d) for d in drawings)
    # RDKit drew bonds (paths) and atom labels into each
    assert all(d.find_elements(By.CSS_SELECTOR, "path[class^='bond-']") for d in drawings)
    pairs = driver.find_elements(By.CSS_SELECTOR, "#molecule-steps .pair")
    assert len(pairs) == len(MOLECULE_TRAJECTORY)
    for pair in pairs:
        assert pair.find_element(By.CSS_SELECTOR, "figure.parent svg").is_displayed()
    assert "does not parse" in pairs[2].find_element(By.CSS_SELECTOR, "figure.proposal").text
    assert "atoms: +1 F" in pairs[0].text and "accepted" in pairs[0].text
    front = driver.find_elements(By.CSS_SELECTOR, "#molecule-pareto .pareto-mols svg")
    assert len(front) == len(made["summary"]["pareto"]["mol0"]) > 0
    assert driver.find_elements(By.CSS_SELECTOR, "#molecule-pareto svg.plot circle.dot")
    raw = driver.find_element(By.ID, "raw-summary")
    assert raw.get_attribute("open") is None
    assert not raw.find_element(By.TAG_NAME, "pre").is_displayed()
    _only_local_loads(driver, "molecule")


def test_radiotherapy_report(pages):
    driver, pages = pages
    _open(driver, pages, "radiotherapy")
    made = pages.made["radiotherapy"]
    summary = made["summary"]
    rows = driver.find_elements(By.CSS_SELECTOR, "#goal-table tbody tr")
    assert len(rows) == len(summary["goals"])
    first = rows[0].find_elements(By.TAG_NAME, "td")
    label = next(iter(summary["final_goals"]["metrics"]))
    assert first[0].text.startswith(label)
    assert first[3].text == f"{summary['final_goals']['metrics'][label]:.2f}"
    assert first[4].text == ("met" if summary["final_goals"]["met"][label] else "missed")
    dvh = driver.find_element(By.CSS_SELECTOR, "#rt-dose figure.dvh svg")
    assert _rendered(dvh)
    n_structures = len(summary["dose"]["dvh"]["final"])
    curves = dvh.find_elements(By.CSS_SELECTOR, "path.series")
    assert len(curves) == 2 * n_structures
    assert len([c for c in curves if c.get_attribute("stroke-dasharray")]) == n_structures
    slices = driver.find_elements(By.CSS_SELECTOR, "#rt-dose svg.dose-slice")
    assert [s.get_attribute("data-plan") for s in slices] == ["start", "final"]
    for s in slices:
        assert _rendered(s)
        image = s.find_element(By.TAG_NAME, "image")
        assert image.get_attribute("href").startswith("data:image/png;base64,")
        box = driver.execute_script("return arguments[0].getBBox().width", image)
        assert box > 0
        outlines = s.find_elements(By.CSS_SELECTOR, "path.outline")
        names = {o.get_attribute("data-structure") for o in outlines}
        assert made["case"].target in names and "BODY" in names
    _only_local_loads(driver, "radiotherapy")


def test_code_report(pages):
    driver, pages = pages
    _open(driver, pages, "code")
    rows = driver.find_elements(By.CSS_SELECTOR, "#test-table tbody tr")
    assert [r.find_elements(By.TAG_NAME, "td")[0].text for r in rows] == [
        "visible", "visible", "visible", "hidden"]
    hidden = rows[-1].find_elements(By.TAG_NAME, "td")
    assert hidden[2].text == "wrong answer" and hidden[3].text == "passed"
    assert [c.text for c in hidden[4:]] == ["add(10, 5)", "15", "15"]
    grid = driver.find_elements(By.CSS_SELECTOR, "#tests-per-step tbody tr")
    assert [[c.text for c in r.find_elements(By.TAG_NAME, "td")] for r in grid] == [
        ["visible_0", "wrong answer", "passed"], ["visible_1", "passed", "passed"],
        ["visible_2", "wrong answer", "passed"]]
    opened = driver.find_element(By.CSS_SELECTOR, ".code-step[data-step='1'] details")
    assert opened.get_attribute("open") is not None
    added = [r.text for r in opened.find_elements(By.CSS_SELECTOR, ".drow.opins")]
    removed = [r.text for r in opened.find_elements(By.CSS_SELECTOR, ".drow.opdel")]
    assert added == ["+    # add the two numbers", "+    return a + b"]
    assert removed == ["-    return a - b"]
    _only_local_loads(driver, "code")


def test_prompt_report(pages):
    driver, pages = pages
    _open(driver, pages, "prompt")
    chart = driver.find_element(By.CSS_SELECTOR, "#prompt-accuracy figure.accuracy svg")
    assert _rendered(chart)
    series = {p.get_attribute("data-series") for p in chart.find_elements(By.CSS_SELECTOR,
                                                                           "path.series")}
    assert series == {"train", "validation", "test"}
    rows = driver.find_elements(By.CSS_SELECTOR, "#accuracy-table tbody tr")
    assert len(rows) == 1 + 3 and rows[0].text.startswith("initial")
    diffs = driver.find_elements(By.CSS_SELECTOR, "#prompt-diffs .prompt-step")
    assert [d.get_attribute("data-step") for d in diffs] == ["0", "1"]
    assert "List each item" in diffs[0].find_element(By.TAG_NAME, "ins").text
    _only_local_loads(driver, "prompt")


def test_comparison_page(pages):
    driver, pages = pages
    _open(driver, pages, "compare")
    settings = driver.find_elements(By.CSS_SELECTOR, "#settings-table tbody tr")
    assert [r.find_element(By.TAG_NAME, "th").text for r in settings] == ["train.label"]
    charts = driver.find_elements(By.CSS_SELECTOR, ".compare-chart svg")
    assert len(charts) == 3 and all(_rendered(c) for c in charts)
    for c in charts:
        assert len(c.find_elements(By.CSS_SELECTOR, "path.series")) == 2
    results = driver.find_elements(By.CSS_SELECTOR, "#results-table tbody tr")
    assert len(results) == 2
    head = [h.text for h in driver.find_elements(By.CSS_SELECTOR, "#results-table thead th")]
    col = head.index("validation (final)")
    assert [r.find_elements(By.CSS_SELECTOR, "th, td")[col].text for r in results] == [
        "0.75", "0.9"]
    _only_local_loads(driver, "compare")
