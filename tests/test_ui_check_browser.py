"""The "Check a bill" tab in a real headless Chromium: paste, matrix, open a cell, download the memo, upload.

Uses the browser, app and page fixtures of test_ui_browser.py (same skip rule: no /usr/bin/chromium,
no test, unless ADVISOR_REQUIRE_BROWSER=1). Screenshots go to test-output/ui/.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_ui_browser import app_url, browser, page, shot  # noqa: F401 - fixtures used by name

from advisor.config import PROJECT_ROOT

BILLS = PROJECT_ROOT / "evals" / "bills" / "dev"
HOSTILE = (  # tags are dropped as a bill is read; escaped markup (&lt;...&gt;) becomes text that must stay text
    'Section 1. Credit <b onmouseover="window.__pwned = 1">for mastery</b>. A local board shall award course credit '
    "to a student who demonstrates mastery of the learning targets for a course, whether or not the student has "
    'completed a set number of instructional hours &lt;img src=x onerror="window.__pwned = 2"&gt; in the course.\n\n'
    "Section 2. Effective date. This act takes effect July 1, 2026.\n"
)


@pytest.fixture()
def tab(page):  # noqa: F811 - the page fixture of test_ui_browser.py
    """A fresh page of the app, on the "Check a bill" tab."""
    page.get_by_role("tab", name="Check a bill").click()
    page.wait_for_selector("#bill-text textarea")
    return page


def _check(tab) -> None:
    """Press the button and wait for this check's result (not the previous one, nor the progress timer).
    The result is compared by its text: the box's markup changes as soon as Gradio marks it pending."""
    done = "#bill-summary .cw-summary, #bill-summary .cw-error"
    before = tab.locator(done).first.inner_text() if tab.locator(done).count() else ""
    tab.click("#check-bill")
    tab.wait_for_function(
        """(before) => {
            const box = document.querySelector('#bill-summary');
            const done = box.querySelector('.cw-summary, .cw-error');
            return done && done.innerText !== before && !/^\\s*\\d+(\\.\\d+)?s/.test(box.innerText)
                && !/processing/i.test(box.innerText);
        }""",
        arg=before,
        timeout=60_000,
    )


def test_paste_a_bill_read_the_matrix_open_a_cell_and_download_the_memo(tab):
    page = tab  # noqa: F811
    page.fill("#bill-text textarea", (BILLS / "learning-counts-act.txt").read_text(encoding="utf-8"))
    _check(page)
    summary = page.locator("#bill-summary").inner_text()
    assert "10 provisions" in summary and "Policy Flexibility" in summary
    grid = page.locator("#bill-matrix .cw-grid")
    assert grid.locator(".cw-condition").count() == 8 and grid.locator(".cw-cell").count() == 79
    credit = grid.locator('.cw-cell[data-policy="Proficiency-based Credit"]')
    assert credit.get_attribute("data-status") == "addressed" and "B§4" in credit.inner_text()
    assert grid.locator('.cw-cell[data-status="addressed"]').count() >= 4
    shot(page, "10-check-a-bill-matrix")

    detail = page.locator('#bill-matrix .cw-detail[data-policy="Proficiency-based Credit"]')
    assert not detail.is_visible()
    credit.click()
    detail.wait_for(state="visible")
    text = detail.inner_text()
    assert "Policy Flexibility › transformative policy › Proficiency-based Credit" in text
    assert "[B§4] Section 4. Credit for demonstrated mastery" in text and "addresses this policy" in text
    assert detail.locator("mark").count() >= 2  # the sentence on each side that carries the match
    page.locator('#bill-matrix .cw-cell[data-policy="Technology Access"]').click()  # one open at a time
    assert not detail.is_visible()
    assert (
        "No provision of the bill addresses this policy."
        in page.locator('#bill-matrix .cw-detail[data-policy="Technology Access"]').inner_text()
    )
    credit.click()
    detail.scroll_into_view_if_needed()
    shot(page, "11-check-a-bill-cell-open")

    page.click("#bill-findings-box button, #bill-findings-box .label-wrap")
    findings = page.locator("#bill-findings .cw-findings details")
    findings.first.wait_for()
    assert findings.count() == 10
    with page.expect_download(timeout=20_000) as download:
        page.click("#bill-memo")
    memo = Path(download.value.path()).read_text(encoding="utf-8")
    assert download.value.suggested_filename.startswith("crosswalk-an-act-relating-to-student-credit")
    assert memo.startswith("# Crosswalk: AN ACT relating to student credit") and "## Matrix" in memo
    assert "## Gaps" in memo and "[B§4]" in memo


def test_upload_a_word_bill(tab):
    page = tab  # noqa: F811
    page.set_input_files("#bill-file input[type=file]", str(BILLS / "learner-records-act.docx"))
    page.wait_for_selector("#bill-file .file-preview, #bill-file a", timeout=20_000)
    _check(page)
    assert "Learner Records and Pathways Act" in page.locator("#bill-summary").inner_text()
    cell = page.locator('#bill-matrix .cw-cell[data-policy="Innovative Learning Records"]')
    assert cell.get_attribute("data-status") == "addressed"
    shot(page, "12-check-a-bill-upload")


def test_bad_input_and_markup_in_a_bill(tab):
    page = tab  # noqa: F811
    _check(page)
    assert "Paste a bill or upload a file first." in page.locator("#bill-summary").inner_text()
    page.fill("#bill-text textarea", "Hello there.")
    _check(page)
    assert "no provisions found; tried numbered sections" in page.locator("#bill-summary").inner_text()
    page.fill("#bill-text textarea", HOSTILE)
    _check(page)
    page.locator('#bill-matrix .cw-cell[data-policy="Proficiency-based Credit"]').click()
    page.mouse.move(5, 5)
    shot(page, "13-check-a-bill-markup")
    summary = page.locator("#bill-summary").inner_text()
    assert "2 provisions" in summary
    page.click("#bill-findings-box button, #bill-findings-box .label-wrap")
    page.locator("#bill-findings .cw-findings").wait_for()
    assert "[B§1] Section 1. Credit for mastery" in page.locator("#bill-findings").inner_text()
    detail = page.locator('#bill-matrix .cw-detail[data-policy="Proficiency-based Credit"]')
    assert '<img src=x onerror="window.__pwned = 2">' in detail.inner_text()
    assert page.locator("#bill-matrix img, #bill-findings img, #bill-matrix b, #bill-findings b").count() == 0
    assert page.evaluate("window.__pwned") is None
