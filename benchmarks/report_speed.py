"""How the HTML report copes with a long document: render time, size, and browser load time.

    .venv/bin/python benchmarks/report_speed.py [--sentences 500] [--keep DIR]

Builds one long MT and its reference from the public WMT21 TED MQM data in ../shared/data
(one system's talks, then refB's, joined and repeated until the MT has about --sentences
sentences), audits it with the default detectors, renders the HTML report, and loads it in
Debian's headless chromium twice: --dump-dom (parse, run the page script, draw every heatmap)
and --screenshot. Prints the figures; the goal is a page that loads in a few seconds at
500 x 500 sentences, not a timed test.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mqm_data import load_documents  # noqa: E402

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


def long_texts(sentences: int) -> tuple[str, str, str]:
    docs = [d for d in load_documents("ted") if d.reference]
    system = docs[0].system
    talks = [d for d in docs if d.system == system]
    mt_parts, ref_parts = [], []
    while sum(p.count("\n") + 1 for p in mt_parts) < sentences:
        for d in talks:
            mt_parts.append(d.mt)
            ref_parts.append(d.reference or "")
    return system, "\n\n".join(mt_parts), "\n\n".join(ref_parts)


def chromium_seconds(page: Path, profile: Path, *args: str) -> tuple[float, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        return float("nan"), ""
    start = time.perf_counter()
    done = subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
                          capture_output=True, text=True, timeout=600)
    return time.perf_counter() - start, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=500)
    parser.add_argument("--keep", type=Path, help="keep the HTML and PNG in this folder")
    args = parser.parse_args()

    from auditor import Auditor
    from auditor.report.html import render_html
    from auditor.report.model import build_report_model
    from auditor.result import Document

    system, mt, ref = long_texts(args.sentences)
    auditor = Auditor()
    start = time.perf_counter()
    result = auditor.audit(Document(mt, f"ted-{system}", "en"), [Document(ref, "ted-refB", "en")])
    audit_s = time.perf_counter() - start
    n, m = len(result.mt.sentences), len(result.references[0].sentences)
    print(f"document: {n} MT sentences x {m} reference sentences, {len(result.findings)} findings"
          f" (audit {audit_s:.1f} s)")

    start = time.perf_counter()
    build_report_model(result)
    model_s = time.perf_counter() - start
    start = time.perf_counter()
    html = render_html(result)
    render_s = time.perf_counter() - start
    print(f"view model {model_s:.2f} s; render_html (model included) {render_s:.2f} s; "
          f"HTML {len(html.encode()) / 1e6:.2f} MB")

    folder = args.keep or Path(tempfile.mkdtemp(prefix="report-speed-"))
    folder.mkdir(parents=True, exist_ok=True)
    page = folder / "long-report.html"
    page.write_text(html, encoding="utf-8")
    dom_s, dom = chromium_seconds(page, folder / "profile", "--dump-dom")
    ready = 'data-ready="1"' in dom
    shot_s, _ = chromium_seconds(page, folder / "profile", f"--screenshot={folder / 'long.png'}",
                                 "--window-size=1400,2000")
    print(f"chromium --dump-dom {dom_s:.2f} s (page script finished: {ready}); "
          f"--screenshot {shot_s:.2f} s; files in {folder}")


if __name__ == "__main__":
    main()
