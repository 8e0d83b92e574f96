"""Feed configuration files: one-line errors, TOML and YAML alike (auditor.feed.config)."""

from __future__ import annotations

import pytest

from auditor.errors import InputError
from auditor.feed.config import config_from_dict


@pytest.mark.parametrize(("change", "message"), [
    ({"feeds": []}, "no feeds"),
    ({"feeds": [{"name": "a", "path": "x.rss"}]}, "needs a role"),
    ({"feeds": [{"name": "a", "path": "x.rss", "role": "translated"}]}, "no feed has role"),
    ({"feeds": [{"name": "a", "url": "ftp://x", "role": "reference"}]}, "http(s)://"),
    ({"match": {"min_similarity": 3}}, "between -1 and 1"),
    ({"match": {"window_hours": "soon"}}, "must be a number"),
    ({"audit": {"executor": "spark"}}, "local, dask"),
    ({"colour": {}}, "unknown section"),
    ({"match": {"threshold": 0.3}}, "unknown key(s) in match: threshold"),
])
def test_bad_config_is_one_line_error(change, message):
    base = {"feeds": [{"name": "t", "path": "t.rss", "role": "translated"},
                      {"name": "r", "path": "r.rss", "role": "reference"}]}
    with pytest.raises(InputError) as err:
        config_from_dict({**base, **change})
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_toml_and_yaml_configs_agree(tmp_path):
    from auditor.feed.config import load_config

    (tmp_path / "feeds.toml").write_text(
        '[store]\npath = "h.sqlite"\n[match]\nmin_similarity = 0.6\n'
        '[[feeds]]\nname = "t"\npath = "t.rss"\nrole = "translated"\n'
        '[[feeds]]\nname = "r"\nurl = "http://127.0.0.1/r.rss"\nrole = "reference"\n')
    (tmp_path / "feeds.yaml").write_text(
        "store: {path: h.sqlite}\nmatch: {min_similarity: 0.6}\nfeeds:\n"
        "  - {name: t, path: t.rss, role: translated}\n"
        "  - {name: r, url: 'http://127.0.0.1/r.rss', role: reference}\n")
    toml_cfg = load_config(tmp_path / "feeds.toml")
    yaml_cfg = load_config(tmp_path / "feeds.yaml")
    assert toml_cfg.to_json() == yaml_cfg.to_json().replace("feeds.yaml", "feeds.toml")
    assert toml_cfg.store_path == tmp_path.resolve() / "h.sqlite"
    assert toml_cfg.feeds[0].location == str(tmp_path.resolve() / "t.rss")
    assert toml_cfg.match.min_similarity == 0.6
