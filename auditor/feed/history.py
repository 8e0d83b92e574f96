"""The history report over a feed database: a view model built once, rendered as HTML and CSV.

Scores per source feed over time, the worst items, recurring mangled names (name findings that
come back across items), unmatched items, runs and bad-input problems; plus one page (HTML and
the stored JSON) per audited item.
"""

from __future__ import annotations

import csv
import json
import os
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from statistics import mean
from typing import Any

from auditor.feed.store import FeedStore
from auditor.report.safety import neutralise_cell, page_csp, safe_url, visible_controls

WORST_ITEMS = 20
RECURRING_NAMES = 30


@dataclass(frozen=True)
class FeedSummary:
    feed: str
    items: int
    audited: int
    unmatched: int
    failed: int
    mean_overall: float | None
    mean_mqm: float | None
    worst_overall: float | None
    findings_per_item: float | None
    by_day: tuple[tuple[str, int, float], ...]  # (day, audits, mean overall)
    spark: str  # SVG polyline points of mean overall per day (0..100 mapped to the box)


@dataclass(frozen=True)
class NameRecurrence:
    key: str
    canonical: str | None
    variants: tuple[str, ...]
    occurrences: int
    items: int
    feeds: tuple[str, ...]


@dataclass(frozen=True)
class HistoryView:
    generated_at: str
    database: str
    signatures: tuple[str, ...]
    totals: dict[str, int]
    feeds: tuple[FeedSummary, ...]
    items: tuple[dict[str, Any], ...]  # one row per translated item, audited or not
    worst: tuple[dict[str, Any], ...]
    names: tuple[NameRecurrence, ...]
    runs: tuple[dict[str, Any], ...]
    problems: tuple[dict[str, Any], ...]
    findings: tuple[dict[str, Any], ...] = field(repr=False, default=())


def build_history(store: FeedStore, worst: int = WORST_ITEMS) -> HistoryView:
    """Read everything the report shows, once."""
    items = store.query(
        "SELECT i.id, i.feed, i.guid, i.title, i.link, i.published, i.first_seen, i.status, "
        "i.status_message, i.content_hash, a.overall, a.fidelity, a.mqm, a.words, a.n_findings, "
        "a.signature, a.audited_at, a.report_path, "
        "(SELECT GROUP_CONCAT(r.feed || ':' || r.title || ' (' || printf('%.2f', m.similarity) "
        "|| ')', ' | ') FROM matches m JOIN items r ON r.id = m.reference_id "
        " WHERE m.item_id = i.id) AS matched_references "
        "FROM items i LEFT JOIN audits a ON a.item_id = i.id WHERE i.role = 'translated' "
        "ORDER BY i.published, i.id"
    )
    for row in items:
        row["page"] = f"items/item-{row['id']}.html" if row["overall"] is not None else None
        row["status"] = "audited" if row["overall"] is not None else (row["status"] or "pending")
    findings = store.query(
        "SELECT f.item_id, i.feed, i.title, f.kind, f.severity, f.mt_start, f.mt_end, f.mt_text, "
        "f.canonical, f.confidence, f.evidence, f.detector, f.reference_text, a.signature "
        "FROM findings f JOIN items i ON i.id = f.item_id JOIN audits a ON a.id = f.audit_id "
        "ORDER BY f.item_id, f.mt_start"
    )
    audited = [r for r in items if r["overall"] is not None]
    totals = {
        "translated": len(items),
        "references": store.query("SELECT COUNT(*) AS n FROM items WHERE role='reference'")[0]["n"],
        "audited": len(audited),
        "unmatched": sum(1 for r in items if r["status"] == "unmatched"),
        "failed": sum(1 for r in items if r["status"] == "failed"),
        "findings": len(findings),
        "problems": store.count("problems"),
        "runs": store.count("runs"),
    }
    return HistoryView(
        generated_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        database=str(store.path),
        signatures=tuple(sorted({r["signature"] for r in audited})),
        totals=totals,
        feeds=tuple(_feed_summaries(items, findings)),
        items=tuple(items),
        worst=tuple(sorted(audited, key=lambda r: (r["overall"], r["id"]))[:worst]),
        names=tuple(_recurring_names(findings)),
        runs=tuple(store.query("SELECT id, started_at, finished_at, status, new_items, audited, "
                               "unmatched, failed, rejected FROM runs ORDER BY id DESC")),
        problems=tuple(store.query("SELECT run_id, at, feed, guid, message FROM problems "
                                   "ORDER BY id DESC LIMIT 200")),
        findings=tuple(findings),
    )


def _feed_summaries(items: list[dict[str, Any]], findings: list[dict[str, Any]]
                    ) -> list[FeedSummary]:
    by_feed: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in items:
        by_feed[row["feed"]].append(row)
    out = []
    for feed, rows in sorted(by_feed.items()):
        audited = [r for r in rows if r["overall"] is not None]
        days: dict[str, list[float]] = defaultdict(list)
        for r in audited:
            days[r["published"][:10]].append(r["overall"])
        by_day = tuple((d, len(v), round(mean(v), 1)) for d, v in sorted(days.items()))
        out.append(FeedSummary(
            feed=feed, items=len(rows), audited=len(audited),
            unmatched=sum(1 for r in rows if r["status"] == "unmatched"),
            failed=sum(1 for r in rows if r["status"] == "failed"),
            mean_overall=round(mean(r["overall"] for r in audited), 1) if audited else None,
            mean_mqm=round(mean(r["mqm"] or 0.0 for r in audited), 1) if audited else None,
            worst_overall=round(min(r["overall"] for r in audited), 1) if audited else None,
            findings_per_item=(round(sum(r["n_findings"] for r in audited) / len(audited), 2)
                               if audited else None),
            by_day=by_day, spark=_sparkline([m for _, _, m in by_day]),
        ))
    return out


def _sparkline(values: list[float], width: int = 240, height: int = 48) -> str:
    """SVG polyline points for scores on the 0-100 scale, evenly spaced."""
    if not values:
        return ""
    # A 4-pixel margin keeps the dots drawn at the ends and at 0 or 100 inside the box.
    step = (width - 8) / max(1, len(values) - 1)
    return " ".join(f"{4 + i * step:.1f},{4 + (100 - v) / 100 * (height - 8):.1f}"
                    for i, v in enumerate(values))


def _recurring_names(findings: list[dict[str, Any]]) -> list[NameRecurrence]:
    """Name findings grouped by what they should have said (the canonical name when the
    detector found one, else the mangled text itself), most widespread first."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in findings:
        if f["kind"] == "name":
            key = " ".join(str(f["canonical"] or f["mt_text"] or "").lower().split())
            if key:
                groups[key].append(f)
    out = [
        NameRecurrence(
            key=key,
            canonical=next((f["canonical"] for f in fs if f["canonical"]), None),
            variants=tuple(sorted({str(f["mt_text"]) for f in fs})),
            occurrences=len(fs), items=len({f["item_id"] for f in fs}),
            feeds=tuple(sorted({f["feed"] for f in fs})),
        )
        for key, fs in groups.items()
    ]
    out.sort(key=lambda n: (-n.items, -n.occurrences, n.key))
    return out[:RECURRING_NAMES]


# ---- renderers -----------------------------------------------------------------------------
def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, select_autoescape

    return Environment(
        loader=PackageLoader("auditor.feed", "templates"),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
        trim_blocks=True, lstrip_blocks=True,
        finalize=visible_controls,  # a bidi override in a feed is shown, not obeyed
    )


def _page(env: Any, template: str, **context: Any) -> str:
    """A page with the inline style and the same Content-Security-Policy as the audit report
    (no script at all: nothing a feed smuggles in can run)."""
    from markupsafe import Markup

    style = env.get_template("_style.css.j2").render()
    return env.get_template(template).render(style=Markup(style), csp=page_csp(style),
                                             **context)


def render_history_html(view: HistoryView) -> str:
    return _page(_environment(), "history.html.j2", view=view)


def render_item_page(row: dict[str, Any], result: dict[str, Any],
                     references: list[dict[str, Any]], findings: list[dict[str, Any]],
                     env: Any = None) -> str:
    """One item's page. Feed links are kept only when they are http(s) (`safe_url`)."""
    item = {**row, "link": safe_url(row.get("link"))}
    refs = [{**r, "link": safe_url(r.get("link"))} for r in references]
    return _page(env or _environment(), "item.html.j2", item=item, result=result,
                 references=refs, findings=findings,
                 pieces=_highlight(row["text"], findings))


def write_history_csv(view: HistoryView, directory: Path, neutralise: bool = True
                      ) -> list[Path]:
    """history_items, history_feeds (per feed and day), recurring_names, findings, runs.
    `neutralise`: formula-like text cells get a leading apostrophe, as in the audit CSV
    (`auditor.report.csv.read_csv` removes it)."""
    signature = " ; ".join(view.signatures)
    tables: dict[str, tuple[list[str], list[dict[str, Any]]]] = {
        "history_items.csv": (
            ["id", "feed", "guid", "title", "link", "published", "status", "overall", "fidelity",
             "mqm", "words", "n_findings", "matched_references", "status_message", "signature"],
            list(view.items)),
        "history_feeds.csv": (
            ["feed", "day", "audits", "mean_overall", "signature"],
            [{"feed": f.feed, "day": d, "audits": n, "mean_overall": m, "signature": signature}
             for f in view.feeds for d, n, m in f.by_day]),
        "recurring_names.csv": (
            ["key", "canonical", "variants", "occurrences", "items", "feeds", "signature"],
            [{"key": n.key, "canonical": n.canonical, "variants": " | ".join(n.variants),
              "occurrences": n.occurrences, "items": n.items, "feeds": " | ".join(n.feeds),
              "signature": signature} for n in view.names]),
        "findings.csv": (
            ["item_id", "feed", "title", "kind", "severity", "mt_start", "mt_end", "mt_text",
             "canonical", "confidence", "evidence", "detector", "reference_text", "signature"],
            list(view.findings)),
        "runs.csv": (
            ["id", "started_at", "finished_at", "status", "new_items", "audited", "unmatched",
             "failed", "rejected"], list(view.runs)),
    }
    written = []
    for name, (columns, rows) in tables.items():
        path = directory / name
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(({k: neutralise_cell(v) for k, v in row.items()} for row in rows)
                             if neutralise else rows)
        written.append(path)
    return written


def _highlight(text: str, findings: list[dict[str, Any]]) -> list[tuple[str, dict | None]]:
    """The MT text cut into (piece, finding or None); overlapping findings keep the first."""
    pieces: list[tuple[str, dict | None]] = []
    cursor = 0
    spans = sorted((f for f in findings if f.get("mt_start") is not None
                    and f.get("mt_end") is not None), key=lambda f: (f["mt_start"], -f["mt_end"]))
    for f in spans:
        start, end = int(f["mt_start"]), int(f["mt_end"])
        if start < cursor or end <= start or end > len(text):
            continue
        if start > cursor:
            pieces.append((text[cursor:start], None))
        pieces.append((text[start:end], f))
        cursor = end
    if cursor < len(text):
        pieces.append((text[cursor:], None))
    return pieces


def write_item_pages(store: FeedStore, directory: Path) -> int:
    """One HTML page and the stored JSON per audited item, from the database alone."""
    env = _environment()
    directory.mkdir(parents=True, exist_ok=True)
    rows = store.query("SELECT i.*, a.overall, a.fidelity, a.mqm, a.signature, a.result_json, "
                       "a.audited_at, a.report_path FROM items i JOIN audits a "
                       "ON a.item_id = i.id ORDER BY i.id")
    for row in rows:
        result = json.loads(row.pop("result_json"))
        refs = store.query("SELECT r.id, r.feed, r.guid, r.title, r.link, r.published, "
                           "m.similarity FROM matches m JOIN items r ON r.id = m.reference_id "
                           "WHERE m.item_id = ? ORDER BY m.rank", (row["id"],))
        findings = result.get("findings", [])
        if row["report_path"] and Path(row["report_path"]).exists():
            row["report_href"] = Path(os.path.relpath(row["report_path"], directory)).as_posix()
        html = render_item_page(row, result, refs, findings, env)
        (directory / f"item-{row['id']}.html").write_text(html, encoding="utf-8")
        (directory / f"item-{row['id']}.json").write_text(
            json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return len(rows)


def write_history(database: str | Path, out_dir: str | Path) -> dict[str, Any]:
    """Write history.html, the CSV tables and the per-item pages into `out_dir`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with FeedStore.open(database, create=False) as store:
        view = build_history(store)
        pages = write_item_pages(store, out / "items")
    html_path = out / "history.html"
    html_path.write_text(render_history_html(view), encoding="utf-8")
    csvs = write_history_csv(view, out)
    return {"html": html_path, "csv": csvs, "item_pages": pages, "view": view}


__all__ = ["HistoryView", "build_history", "render_history_html", "write_history",
           "write_history_csv", "write_item_pages"]
