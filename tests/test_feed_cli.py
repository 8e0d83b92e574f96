"""The `auditor feed` commands: bad arguments are one line and exit 2 (auditor.cli.feed)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner


@pytest.mark.parametrize(("args", "message"), [
    (["watch", "{cfg}", "--every", "soon"], "use a duration like 15m"),
    (["watch", "{cfg}", "--cron", "every day"], "not a 5-field cron expression"),
    (["watch", "{cfg}"], "exactly one of --every and --cron"),
    (["run", "{missing}"], "no such config file"),
    (["report", "--db", "{missing}", "--out", "{out}"], "no feed history database"),
    (["report", "--db", "{cfg}", "--out", "{out}"], "not a usable SQLite database"),
])
def test_cli_errors_are_one_line_exit_2(tmp_path, args, message):
    from auditor.cli.feed import feed_app

    cfg = tmp_path / "feeds.yaml"
    cfg.write_text("feeds:\n  - {name: t, path: t.rss, role: translated}\n"
                   "  - {name: r, path: r.rss, role: reference}\n", encoding="utf-8")
    filled = [a.format(cfg=cfg, missing=tmp_path / "nope.toml", out=tmp_path / "out")
              for a in args]
    result = CliRunner().invoke(feed_app, filled)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
