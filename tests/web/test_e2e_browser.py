"""End to end in a real headless Chromium (system packages, driven by Selenium against a live uvicorn).

A community manager logs in, filters, corrects a category with the keyboard and marks a post attended,
which leaves the pending inbox. Screenshots are kept under test-artifacts/web/ for people to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from storage.models import AnalysisRow, PostEventRow, PostReviewRow
from storage.unit_of_work import UnitOfWork
from tests.web.browser import browser_missing, chromium, live_server
from tests.web.helpers import PASSWORD, Seeded

pytestmark = pytest.mark.skipif(browser_missing() is not None, reason=browser_missing() or "")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
WAIT = 10


@pytest.fixture
def browser(app: Any) -> Iterator[tuple[Any, str]]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with live_server(app) as base, chromium() as driver:
        yield driver, base


def _wait(driver: Any, condition: Any) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT).until(condition)


def _row_ids(driver: Any) -> list[int]:
    script = "return Array.from(document.querySelectorAll('.post-row'), e => Number(e.dataset.postId))"
    return list(driver.execute_script(script))


def _keys(driver: Any, keys: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).send_keys(keys).perform()


def _login(driver: Any, base: str, username: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/inbox")
    _wait(driver, lambda d: "/login" in d.current_url)
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    _wait(driver, lambda d: d.current_url.endswith("/inbox") and d.find_elements(By.CSS_SELECTOR, ".post-row"))


def _console_errors(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def test_a_community_managers_session(browser: tuple[Any, str], seeded: Seeded, sqlite_engine: Engine) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver, base = browser
    ids = seeded.ids
    _login(driver, base, "communitymanager")
    assert _row_ids(driver) == [ids[n] for n in ("xss", "outage", "praise", "question", "complaint")]
    _wait(driver, lambda d: "publicaciones" in d.execute_script(  # the counts arrived
        "return document.getElementById('facets').textContent"))
    assert driver.execute_script("return window.__xss === undefined && !document.querySelector('.text script')")
    driver.save_screenshot(str(ARTIFACTS / "01-inbox.png"))

    # Filter: choosing a category swaps the results in place (htmx) and updates the address bar.
    Select(driver.find_element(By.NAME, "categoria")).select_by_value("reclamo")
    _wait(driver, lambda d: _row_ids(d) == [ids["outage"], ids["complaint"]])
    _wait(driver, lambda d: "categoria=reclamo" in d.current_url)
    facets = "return document.getElementById('facets').textContent"
    _wait(driver, lambda d: "2 publicaciones" in d.execute_script(facets))
    driver.save_screenshot(str(ARTIFACTS / "02-filtered-reclamo.png"))

    # Correct a category with the keyboard: j focuses the first row, 2 sets "queja".
    driver.get(f"{base}/inbox")
    _wait(driver, lambda d: len(_row_ids(d)) == 5)
    _keys(driver, "j")
    _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, f"#post-{ids['xss']}.is-focused"))
    _keys(driver, "2")
    category = f"return document.querySelector('#post-{ids['xss']} select[data-field=category]').value"
    _wait(driver, lambda d: d.execute_script(category) == "queja")
    toast = "return document.getElementById('toast').textContent"
    _wait(driver, lambda d: "Categoría corregida" in d.execute_script(toast))
    with UnitOfWork(sqlite_engine) as uow:
        assert uow.session is not None
        assert uow.session.get(AnalysisRow, ids["xss"]).category == "queja"  # type: ignore[union-attr]
    driver.save_screenshot(str(ARTIFACTS / "03-category-corrected-by-keyboard.png"))

    # Mark it attended with "a": it leaves the pending inbox and the focus moves to the next post.
    _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, f"#post-{ids['xss']}.is-focused"))
    _keys(driver, "a")
    _wait(driver, lambda d: ids["xss"] not in _row_ids(d))
    _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, f"#post-{ids['outage']}.is-focused"))
    _wait(driver, lambda d: "4 publicaciones" in d.execute_script(facets))  # the counts follow
    driver.save_screenshot(str(ARTIFACTS / "04-attended-left-the-inbox.png"))
    driver.get(f"{base}/inbox")
    assert ids["xss"] not in _row_ids(driver)
    driver.get(f"{base}/inbox?estado=attended")
    assert _row_ids(driver) == [ids["xss"]]
    with UnitOfWork(sqlite_engine) as uow:
        assert uow.session is not None
        review = uow.session.get(PostReviewRow, ids["xss"])
        assert review is not None and review.state == "attended" and review.updated_by == "communitymanager"
        actions = list(uow.session.scalars(select(PostEventRow.action).where(PostEventRow.post_id == ids["xss"])
                                           .order_by(PostEventRow.id)))
    assert actions == ["category", "state"]

    # The post page: thread with the ministry's reply, and keyboard corrections there too.
    driver.get(f"{base}/posts/{ids['complaint']}")
    assert "Hola, ya escalamos su caso" in driver.find_element(By.CSS_SELECTOR, ".thread").text
    _keys(driver, "9")  # sentiment: neutral
    _wait(driver, lambda d: "Negativo → Neutral" in d.execute_script(
        "return document.getElementById('panels').textContent"))
    driver.save_screenshot(str(ARTIFACTS / "05-post-view.png"))
    assert _console_errors(driver) == []  # no CSP violation, no script error


def test_phone_layout(app: Any, seeded: Seeded) -> None:
    from selenium.webdriver.common.by import By

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with live_server(app) as base, chromium(390, 844, phone=True) as driver:
        _login(driver, base, "viewer")
        width = driver.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390, "the inbox must not scroll sideways on a phone"
        assert not driver.find_element(By.ID, "more-filters").get_attribute("open")
        driver.save_screenshot(str(ARTIFACTS / "06-phone-inbox.png"))
        driver.get(f"{base}/posts/{seeded.ids['complaint']}")
        assert driver.execute_script("return document.documentElement.scrollWidth") <= 390
        driver.save_screenshot(str(ARTIFACTS / "07-phone-post.png"))
        driver.get(f"{base}/indicators")
        driver.save_screenshot(str(ARTIFACTS / "08-phone-indicators.png"))
        assert _console_errors(driver) == []


def test_undo_of_a_one_key_action(browser: tuple[Any, str], seeded: Seeded, sqlite_engine: Engine) -> None:
    from selenium.webdriver.common.by import By

    driver, base = browser
    pid = seeded.ids["xss"]
    _login(driver, base, "communitymanager")
    _keys(driver, "j")
    _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, f"#post-{pid}.is-focused"))
    _keys(driver, "i")  # not applicable: the row leaves, the toast offers "Deshacer"
    _wait(driver, lambda d: pid not in _row_ids(d))
    undo = _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#toast:not([hidden]) .toast-action"))[0]
    assert undo.text == "Deshacer"
    driver.save_screenshot(str(ARTIFACTS / "09-undo-toast.png"))
    undo.click()
    _wait(driver, lambda d: pid in _row_ids(d))  # the page reloads with the post back in the pending inbox
    with UnitOfWork(sqlite_engine) as uow:
        assert uow.session is not None
        review = uow.session.get(PostReviewRow, pid)
        assert review is not None and review.state == "new"
    assert _console_errors(driver) == []
