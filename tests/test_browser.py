"""The HTML report in a real browser: Debian's headless chromium (installed by `make test-deps`).

The page's own script must run (it marks <body data-ready="1"> and draws the heatmaps) while
nothing from the documents does. Without chromium these tests skip, except under CI or
`AUDITOR_REQUIRE_BROWSER=1` (set by `make test`), where they fail with a clear message.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from auditor.report.html import write_html
from tests.test_report_html import HOSTILE_NAME, PAYLOADS, make_hostile_result, parse

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a real chromium per test

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--disable-default-apps", "--mute-audio",
]
WINDOW = (1400, 2000)


@pytest.fixture(scope="module")
def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    message = ("Debian's chromium is not installed: run `make test-deps` as root "
               "(apt-get install chromium) to run the browser tests of the HTML report")
    if os.environ.get("AUDITOR_REQUIRE_BROWSER") or os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def run_chromium(chromium: str, tmp_path: Path, *args: str) -> str:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    done = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def dump_dom(chromium: str, tmp_path: Path, page: Path) -> str:
    """The DOM after the page's scripts ran."""
    return run_chromium(chromium, tmp_path, "--dump-dom", page.as_uri())


def screenshot(chromium: str, tmp_path: Path, page: Path, png: Path) -> bytes:
    run_chromium(chromium, tmp_path, f"--screenshot={png}",
                 f"--window-size={WINDOW[0]},{WINDOW[1]}", page.as_uri())
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == WINDOW
    return data


def body_attrs(dom: str) -> dict[str, str | None]:
    return next(a for t, a in parse(dom).tags if t == "body")


def test_seed_report_in_chromium(chromium, seed_result, tmp_path):
    page = tmp_path / "seed-audit.html"
    write_html(seed_result, page)
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><title>blank</title>", encoding="utf-8")
    shot = screenshot(chromium, tmp_path, page, tmp_path / "seed.png")
    # A rendered report holds far more detail than an empty page of the same size.
    assert len(shot) > 3 * len(screenshot(chromium, tmp_path, blank, tmp_path / "blank.png"))

    dom = dump_dom(chromium, tmp_path, page)
    tags = parse(dom).tags
    assert body_attrs(dom).get("data-ready") == "1"  # our script ran under the CSP
    canvases = [a for t, a in tags if t == "canvas"]
    assert len(canvases) == len(seed_result.references)
    for d, a in enumerate(canvases):
        rows, cols = seed_result.similarity[d].shape
        assert a.get("data-cells") == str(rows * cols)  # drawn, cell by cell

    marked = {int(i) for _, a in tags if a.get("data-f") for i in a["data-f"].split()}
    located = {i for i, f in enumerate(seed_result.findings) if f.mt_start is not None}
    assert located <= marked
    rows = [a for t, a in tags if t == "tr" and "data-fid" in a]
    assert len(rows) == len(seed_result.findings)
    pairs = [a["data-pair"] for t, a in tags if t == "tr" and "data-pair" in a]
    expected = [
        ",".join(map(str, sorted(p.mt))) + ":" + ",".join(map(str, sorted(p.other)))
        for p in seed_result.alignments
    ]
    assert sorted(pairs) == sorted(expected)
    assert f"<title>MT audit: {seed_result.mt.doc.name}</title>" in dom


def test_hostile_document_runs_no_script(chromium, hostile_result, tmp_path):
    page = tmp_path / "hostile.html"
    write_html(hostile_result, page)
    screenshot(chromium, tmp_path, page, tmp_path / "hostile.png")
    dom = dump_dom(chromium, tmp_path, page)
    body = body_attrs(dom)
    assert body.get("data-ready") == "1"  # the page's own script did run...
    assert "data-pwned" not in body  # ...and none of the injected ones
    title = dom.split("<title>")[1].split("</title>")[0]
    assert "PWNED" in title and title != "PWNED"  # the payload is in the title, as text
    tags = parse(dom).tags
    assert not [t for t, _ in tags if t in ("img", "textarea", "iframe")]
    assert not [a for _, attrs in tags for a in attrs if a.startswith("on")]
    visible = "".join(parse(dom).text)
    for payload in PAYLOADS:
        assert payload in visible
    assert HOSTILE_NAME in visible
    # The findings over the payloads are highlighted like any other.
    marked = {int(i) for _, a in tags if a.get("data-f") for i in a["data-f"].split()}
    hostile = {i for i, f in enumerate(hostile_result.findings)
               if f.detector == "hostile" and f.mt_start is not None}
    assert len(hostile) == 2 and hostile <= marked


@pytest.fixture(scope="module")
def hostile_result(auditor):
    return make_hostile_result(auditor)


DRIVER = """
(function () {
  var body = document.body, tip = document.getElementById("tip");
  var mark = document.querySelector('mark[data-f~="%(fid)d"]');
  mark.dispatchEvent(new MouseEvent("mouseover", {bubbles: true}));
  body.setAttribute("data-hover", tip.hidden ? "" : tip.textContent);
  mark.dispatchEvent(new MouseEvent("click", {bubbles: true}));
  body.setAttribute("data-pinned", tip.classList.contains("pinned") ? "1" : "0");
  document.querySelector('.kind-toggle[data-kind="%(kind)s"]').click();
  body.setAttribute("data-hidden-kind", body.classList.contains("hide-k-%(kind)s") ? "1" : "0");
  body.setAttribute("data-mark-bg", getComputedStyle(mark).backgroundColor);
})();
"""


def test_tooltip_and_filter_work_and_stay_inert(chromium, hostile_result, tmp_path):
    """Drive the page's own script (hover, click, kind filter) on the hostile report: the
    tooltip shows the finding's evidence, payloads included, as text."""
    import base64
    import hashlib

    from auditor.report.html import render_html

    fid = next(i for i, f in enumerate(hostile_result.findings)
               if f.detector == "hostile" and f.kind.value == "addition")
    driver = DRIVER % {"fid": fid, "kind": "addition"}
    digest = base64.b64encode(hashlib.sha256(driver.encode()).digest()).decode()
    html = render_html(hostile_result)
    # Allow the test driver (and only it) next to the page's script; nothing else changes.
    html = html.replace("script-src ", f"script-src 'sha256-{digest}' ", 1)
    html = html.replace("</body>", f"<script>{driver}</script>\n</body>")
    page = tmp_path / "driven.html"
    page.write_text(html, encoding="utf-8")
    body = body_attrs(dump_dom(chromium, tmp_path, page))
    assert body.get("data-ready") == "1" and "data-pwned" not in body
    hover = body.get("data-hover") or ""
    assert "addition" in hover and PAYLOADS[4] in hover and PAYLOADS[2] in hover
    assert body.get("data-pinned") == "1"
    assert body.get("data-hidden-kind") == "1"
    assert body.get("data-mark-bg") == "rgba(0, 0, 0, 0)"  # filtered kind loses its colour
