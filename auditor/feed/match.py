"""Story matching: which English reports tell the same story as a translated item.

Each item stands for its story by its title and lead (the opening of its text). Leads are
embedded with the Auditor's own encoder, so no second model is loaded; a reference is a match
when it was published within the time window of the item and its lead is similar enough.
The selection itself is pure array maths (`select_matches`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from auditor.embed import Encoder
from auditor.feed.config import MatchSettings
from auditor.feed.store import StoredItem

_BLOCK = 1024


@dataclass(frozen=True)
class StoryMatch:
    """The references chosen for one translated item, best first; empty when none matched."""

    item_id: int
    references: tuple[tuple[int, float], ...]  # (reference item id, cosine)
    best_similarity: float | None  # the best in-window cosine, matched or not (for the log)

    @property
    def matched(self) -> bool:
        return bool(self.references)


def story_lead(title: str, text: str, lead_chars: int) -> str:
    """Title plus the opening of the text, cut at a word boundary: the story's fingerprint."""
    lead = text[:lead_chars]
    if len(text) > lead_chars and " " in lead:
        lead = lead.rsplit(" ", 1)[0]
    body = " ".join(lead.split())
    title = " ".join(title.split())
    return f"{title}. {body}" if title and not body.startswith(title) else body


def select_matches(similarity: np.ndarray, in_window: np.ndarray, min_similarity: float,
                   max_references: int) -> list[list[tuple[int, float]]]:
    """Per row, the columns that are in the window and at least `min_similarity`, best first.

    similarity: (n_items, n_refs) cosines; in_window: (n_items, n_refs) bool.
    """
    out: list[list[tuple[int, float]]] = []
    masked = np.where(in_window, similarity, -np.inf)
    for row in masked:
        order = np.argsort(-row, kind="stable")[:max_references]
        out.append([(int(j), float(row[j])) for j in order if row[j] >= min_similarity])
    return out


def match_stories(items: Sequence[StoredItem], references: Sequence[StoredItem],
                  encoder: Encoder, settings: MatchSettings) -> list[StoryMatch]:
    """Match every item to the references of its story (see the module docstring)."""
    if not items:
        return []
    if not references:
        return [StoryMatch(item.id, (), None) for item in items]
    def leads(rows: Sequence[StoredItem]) -> list[str]:
        return [story_lead(x.title, x.text, settings.lead_chars) for x in rows]

    ref_vectors = encoder.encode(leads(references))
    ref_times = np.array([x.published.timestamp() for x in references])
    out: list[StoryMatch] = []
    # Blocks of items keep the (items x references) matrices small however long the backlog.
    for start in range(0, len(items), _BLOCK):
        block = items[start:start + _BLOCK]
        similarity = encoder.encode(leads(block)) @ ref_vectors.T
        item_times = np.array([x.published.timestamp() for x in block])
        in_window = (np.abs(item_times[:, None] - ref_times[None, :])
                     <= settings.window_hours * 3600)
        chosen = select_matches(similarity, in_window, settings.min_similarity,
                                settings.max_references)
        best = np.where(in_window, similarity, -np.inf).max(axis=1)
        out += [
            StoryMatch(
                item_id=item.id,
                references=tuple((references[j].id, sim) for j, sim in picks),
                best_similarity=float(b) if np.isfinite(b) else None,
            )
            for item, picks, b in zip(block, chosen, best, strict=True)
        ]
    return out


__all__ = ["StoryMatch", "match_stories", "select_matches", "story_lead"]
