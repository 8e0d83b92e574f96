"""Matching translated stories to English reports with the real encoder (auditor.feed.match)."""

from __future__ import annotations

from auditor.feed.config import FeedSource, FetchSettings, MatchSettings, Role
from auditor.feed.ingest import load_feed
from tests.feeds import MATCHED, UNMATCHED, copy_fixtures, translated_stories


def _stored(items):
    from auditor.feed.store import StoredItem

    return [StoredItem(n, i.content_hash, i.feed, i.role, i.guid, i.title, i.text, i.link,
                       i.published) for n, i in enumerate(items, 1)]


def test_story_matching_with_the_real_encoder(auditor, tmp_path):
    from dataclasses import replace

    from auditor.feed.match import match_stories

    root = copy_fixtures(tmp_path / "site")
    settings = FetchSettings()
    translated = translated_stories(root)
    refs = [*load_feed(FeedSource("e", str(root / "references.atom"), Role.REFERENCE),
                       settings).items,
            *load_feed(FeedSource("f", str(root / "references"), Role.REFERENCE),
                       settings).items]
    stored = _stored([*translated, *refs])
    items, references = stored[: len(translated)], stored[len(translated):]
    title_of = {r.id: r.title for r in references}
    matches = {m.item_id: m for m in match_stories(items, references, auditor.encoder,
                                                   MatchSettings())}
    for item in items:
        match = matches[item.id]
        if item.guid == UNMATCHED:
            assert not match.matched and match.best_similarity < 0.5
        else:
            assert title_of[match.references[0][0]] == MATCHED[item.guid], item.guid
            assert len(match.references) == 1  # the other stories stay below the bar
    # Outside the time window nothing matches, however similar.
    late = [replace(r, published=r.published.replace(year=2027)) for r in references]
    assert not any(m.matched for m in match_stories(items, late, auditor.encoder,
                                                    MatchSettings()))
