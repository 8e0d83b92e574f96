"""Dropped (omission) and unsupported (addition) content, judged clause by clause.

Every MT clause is compared with every reference clause of every reference, and every reference
clause with every MT clause. Support combines three pieces of evidence, because embeddings
alone rate any two sentences of one story as similar (cosine 0.4-0.6 with MiniLM):

- `cosine`: the best clause-to-clause embedding cosine, each clause encoded on its own. (Clause
  vectors pooled from the sentence's token embeddings would save that encoding, but they carry
  the sentence's context: on the TED benchmark they halved major-omission F1, 0.062 -> 0.027.)
- `margin`: that cosine less the mean of the clause's k best cosines (the distance margin of
  Artetxe & Schwenk 2019; the ratio form explodes when every cosine is near zero): a real
  counterpart stands out from the story's background similarity;
- `lexical`: the idf-weighted share of the clause's content words found in the sentence of one
  of its best candidates; words every sentence of the story uses (the main actors) weigh little,
  and names the other side never uses (mangled names, the names detector's concern) not at all.

A logistic model turns them into the probability that the clause has a counterpart. Its weights
were fitted, without any error labels, on the public TED data in ../shared/data: MT clauses
against their true human translation (supported) and against the same translation with the
counterpart segment and its neighbours removed (same story, no counterpart: unsupported).
`benchmarks/content_benchmark.py --calibrate` refits them.

Decisions (see `decision_logit`, `_Judge`): a clause is carried at p >= 0.5 against a true
translation (parallel mode); against independent reports (comparable mode) the document's own
split of its clause scores (Otsu) may lower that cut. Major when the odds are 4 times below the
cut. Omissions are reported per reference sentence, "likely dropped" when a sibling clause or
both neighbouring sentences are confidently carried (and a majority of references have it),
else "background". In parallel mode an unsupported MT passage standing where an uncarried
reference passage should be is one mistranslation, not an addition plus an omission.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from auditor.config import AlignMode, ContentConfig
from auditor.detect.base import COVERAGE_ID, AuditContext, Detector, Input
from auditor.detect.clauses import Clause
from auditor.detect.units import ClauseTables
from auditor.result import SEVERITY_RANK, Finding, FindingKind, Severity, Span, sentence_at

# Thresholds and fitted weights: ContentConfig in auditor/config.py (AuditConfig.content).
_DEFAULT = ContentConfig()


@dataclass(frozen=True)
class ClauseSupport:
    """How well one clause is carried by the other side, and its closest counterpart there."""

    clause: Clause
    probability: float
    cosine: float
    lexical: float
    margin: float
    best: Clause | None


def weighted_overlap(words: frozenset[str], context: frozenset[str],
                     idf: dict[str, float]) -> float:
    """Idf-weighted share of `words` found in `context` (0 when `words` is empty). `fsum`: a
    set's order follows the process's hash seed, and a plain sum's last bits follow the order."""
    total = math.fsum(idf.get(w, 1.0) for w in words)
    if total <= 0:
        return 0.0
    return math.fsum(idf.get(w, 1.0) for w in words & context) / total


def support_probability(cosine: np.ndarray, lexical: np.ndarray, margin: np.ndarray,
                        weights: Sequence[float] = _DEFAULT.support_weights) -> np.ndarray:
    """Logistic model: probability that a clause has a counterpart on the other side."""
    b0, b_cos, b_lex, b_margin = weights
    z = b0 + b_cos * cosine + b_lex * lexical + b_margin * margin
    return 1.0 / (1.0 + np.exp(-z))


def support_features(
    sim: np.ndarray,
    rows: Sequence[Clause],
    cols: Sequence[Clause],
    col_context: Sequence[frozenset[str]],
    idf: dict[str, float],
    settings: ContentConfig = _DEFAULT,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Features of each row clause against the column clauses.

    sim: (n, m) cosine between row and column clauses; `col_context[j]` the content words of
    column clause j's sentence. Returns cosine, lexical, margin (each (n,)) and the best
    column index (n,), -1 when there are no columns.
    """
    n, m = sim.shape
    if m == 0:
        zeros = np.zeros(n)
        return zeros, zeros, zeros, np.full(n, -1)
    order = np.argsort(-sim, axis=1)
    best = order[:, 0]
    cosine = sim[np.arange(n), best]
    k_wanted = settings.margin_k
    k = min(k_wanted, m)
    top = np.take_along_axis(sim, order[:, :k], axis=1)
    # Fewer than k candidates (a tiny reference): the missing neighbours count as background.
    knn = (top.sum(axis=1) + (k_wanted - k) * settings.background_cosine) / k_wanted
    margin = cosine - knn
    # A name the other side never uses is a question for the names detector (a mangled
    # "Kang Jing" for "Kang Kyung-wha"), not evidence that the clause says something else.
    vocabulary = frozenset().union(*col_context, *(c.content for c in cols))
    lexical = np.array([
        max(weighted_overlap(rows[i].content - (rows[i].names - vocabulary),
                             col_context[j] | cols[j].content, idf)
            for j in order[i, :settings.lexical_top])
        for i in range(n)
    ])
    return cosine, lexical, margin, best


def clause_supports(
    sim: np.ndarray,
    rows: Sequence[Clause],
    cols: Sequence[Clause],
    col_context: Sequence[frozenset[str]],
    idf: dict[str, float],
    settings: ContentConfig = _DEFAULT,
) -> list[ClauseSupport]:
    """Support of every row clause by the column clauses (e.g. MT clauses by reference ones)."""
    cosine, lexical, margin, best = support_features(sim, rows, cols, col_context, idf, settings)
    prob = support_probability(cosine, lexical, margin, settings.support_weights)
    return [
        ClauseSupport(rows[i], float(prob[i]), float(cosine[i]), float(lexical[i]),
                      float(margin[i]), cols[best[i]] if best[i] >= 0 else None)
        for i in range(len(rows))
    ]


def _supports(tables: ClauseTables, rows: list[Clause], cols: list[Clause],
              settings: ContentConfig) -> list[ClauseSupport]:
    if not rows:
        return []
    sim = tables.matrix(rows) @ tables.matrix(cols).T if cols else np.zeros((len(rows), 0))
    context = [tables.sentence_content(c) for c in cols]
    return clause_supports(sim, rows, cols, context, tables.idf, settings)


def mt_clause_supports(tables: ClauseTables, settings: ContentConfig = _DEFAULT
                       ) -> list[ClauseSupport]:
    """Each MT clause's best support across all references."""
    return _supports(tables, tables.flat_mt(), tables.ref_candidates(), settings)


def reference_clause_supports(tables: ClauseTables, doc: int,
                              settings: ContentConfig = _DEFAULT) -> list[ClauseSupport]:
    """Whether the MT carries each clause of reference `doc`."""
    return _supports(tables, tables.flat_ref(doc), tables.mt_units, settings)


def otsu_threshold(values: np.ndarray) -> float:
    """Otsu's cut of 1-D values: the split maximising the between-group variance (inf if < 4)."""
    v = np.sort(np.asarray(values, dtype=float))
    n = len(v)
    if n < 4:
        return math.inf
    k = np.arange(1, n)
    csum = np.cumsum(v)[:-1]
    mean_low = csum / k
    mean_high = (v.sum() - csum) / (n - k)
    between = k * (n - k) * (mean_low - mean_high) ** 2
    best = int(np.argmax(between))
    return float((v[best] + v[best + 1]) / 2)


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def decision_logit(supports: Sequence[ClauseSupport], mode: AlignMode,
                   supported_p: float = _DEFAULT.supported_p) -> float:
    """Log-odds below which a clause counts as unsupported, for one document.

    Against a true translation (parallel mode) the TED-calibrated model applies as is (0, i.e.
    p = 0.5). Independent reports paraphrase, so a real counterpart scores lower than a
    translation would; there the document's own split between its well and poorly supported
    clauses (Otsu's threshold over all clause log-odds, MT and reference sides) may lower the
    cut, never raise it.
    """
    base = _logit(supported_p)
    if mode is AlignMode.PARALLEL or not supports:
        return base
    return min(base, otsu_threshold(np.array([_logit(s.probability) for s in supports])))


def _describe(support: ClauseSupport) -> str:
    words = len(support.clause.content)
    shared = round(support.lexical * 100)
    return (f"cosine {support.cosine:.2f}, margin {support.margin:.2f}, {shared}% of "
            f"{words} content words shared (idf-weighted); p(supported) "
            f"{support.probability:.2f}")


class ContentDetector(Detector):
    """Omissions and additions from clause-level support across all references."""

    id = "content"
    requires = frozenset({Input.REFERENCES})
    parses = True
    parses_documents = True
    produces = frozenset({FindingKind.OMISSION, FindingKind.ADDITION,
                          FindingKind.MISTRANSLATION})

    def find(self, ctx: AuditContext) -> list[Finding]:
        settings = ctx.config.content
        tables = ctx.clause_tables()
        mt_supports = mt_clause_supports(tables, settings)
        unmatched = ctx.unmatched_references()
        ref_supports = [reference_clause_supports(tables, d, settings) if d not in unmatched
                        else [] for d in range(len(tables.refs))]
        cut = decision_logit(mt_supports + [s for r in ref_supports for s in r], ctx.config.mode,
                             settings.supported_p)
        judge = _Judge(cut, settings)
        additions = self._additions(ctx, tables, mt_supports, judge)
        omissions = self._omissions(ctx, tables, ref_supports, judge)
        if ctx.config.mode is AlignMode.PARALLEL:
            found = self._substitutions(ctx, additions, omissions)
            if COVERAGE_ID in ctx.detectors:
                # against a true translation the coverage detector's fitted word-level decision
                # reports additions (an unsupported clause is a Major addition in 1% of cases
                # on the TED dev data); a whole sentence the aligner pairs with nothing in the
                # translation stays (one it pairs but nothing supports is mistranslated rather)
                paired = {i for a in ctx.alignments if not a.from_source for i in a.mt}
                found = [f for f in found if f.kind is not FindingKind.ADDITION
                         or (_whole_sentence(tables, f) and f.mt_sentence not in paired)]
            return found
        return additions + omissions

    # ---- substitutions ---------------------------------------------------------------------
    def _substitutions(self, ctx: AuditContext, additions: list[Finding],
                       omissions: list[Finding]) -> list[Finding]:
        """Against a true translation, an MT passage and its reference counterpart that do not
        support each other are one mistranslation, not an addition plus an omission.

        They pair when the addition's closest reference text lies in the omitted text, when the
        aligner links the addition's MT sentence with the omitted text's sentence, or when the
        addition stands where the omitted text should be (right after the MT text carrying the
        omitted text's reference neighbour).
        """
        linked = {(a.doc, i, j) for a in ctx.alignments for i in a.mt for j in a.other}
        out: list[Finding] = []
        used: set[int] = set()
        for add in additions:
            ref = add.reference
            partner = None
            for k, om in enumerate(omissions):
                om_ref = om.reference
                if k in used or ref is None or om_ref is None or ref.doc != om_ref.doc:
                    continue
                ref_sentence = sentence_at(ctx.references[om_ref.doc].sentences, om_ref.start)
                if (ref.start < om_ref.end and om_ref.start < ref.end) or \
                        (om_ref.doc, add.mt_sentence, ref_sentence) in linked or \
                        _same_slot(ctx, om, add):
                    partner = k
                    break
            if partner is None:
                out.append(add)
                continue
            used.add(partner)
            om = omissions[partner]
            out.append(replace(
                add, kind=FindingKind.MISTRANSLATION,
                severity=max(add.severity, om.severity, key=SEVERITY_RANK.__getitem__),
                reference=om.reference,
                evidence=("its counterpart in the reference says something else: neither "
                          f"supports the other; {add.evidence.split(': ', 1)[-1]}"),
            ))
        out += [om for k, om in enumerate(omissions) if k not in used]
        return out

    # ---- additions -------------------------------------------------------------------------
    def _additions(self, ctx: AuditContext, tables: ClauseTables,
                   supports: list[ClauseSupport], judge: _Judge) -> list[Finding]:
        """Runs of unsupported MT clauses within one sentence, one finding per run."""
        runs: list[list[ClauseSupport]] = []
        for s in supports:
            if judge.carried(s) or len(s.clause.content) < 3 or not s.clause.has_verb:
                continue
            if runs and runs[-1][-1].clause.sentence == s.clause.sentence and \
                    _adjacent(tables.mt[s.clause.sentence], runs[-1][-1].clause, s.clause):
                runs[-1].append(s)
            else:
                runs.append([s])
        findings = []
        for run in runs:
            first, last = run[0].clause, run[-1].clause
            worst = min(run, key=lambda s: s.probability)
            closest = max(run, key=lambda s: s.cosine)
            ref = closest.best
            n_clauses = len(tables.mt[first.sentence])
            share = (f"{len(run)} of the sentence's {n_clauses} clauses"
                     if n_clauses > 1 else "the whole sentence")
            evidence = (
                f"not supported by the references ({share}): no reference clause carries this "
                "content; "
                + (f"closest is reference {ref.doc} ({_describe(worst)})" if ref else
                   "the references have no clauses")
            )
            findings.append(Finding(
                kind=FindingKind.ADDITION,
                severity=judge.severity(worst),
                mt_start=first.start,
                mt_end=last.end,
                mt_text=ctx.mt.doc.text[first.start:last.end],
                confidence=1.0 - worst.probability,
                evidence=evidence,
                reference=(Span(ref.start, ref.end,
                                ctx.references[ref.doc].doc.text[ref.start:ref.end], ref.doc)
                           if ref else None),
                mt_sentence=first.sentence,
            ))
        return findings

    # ---- omissions -------------------------------------------------------------------------
    def _omissions(self, ctx: AuditContext, tables: ClauseTables,
                   per_ref: list[list[ClauseSupport]], judge: _Judge) -> list[Finding]:
        """Reference content the MT does not carry, one finding per reference sentence."""
        # A clause of a sentence the aligner pairs with the MT counts as missing only on strong
        # evidence (odds 4 times below the cut): the sentence-level link is evidence too.
        aligned = {(a.doc, j) for a in ctx.alignments if not a.from_source for j in a.other}
        carried = {(s.clause.doc, s.clause.start):
                   judge.carried(s) or ((s.clause.doc, s.clause.sentence) in aligned
                                        and judge.severity(s) is Severity.MINOR)
                   for sup in per_ref for s in sup}
        confident = {(s.clause.doc, s.clause.start): s.probability >= judge.settings.supported_p
                     for sup in per_ref for s in sup}
        reported: set[tuple[int, int]] = set()  # (doc, start) of clauses already covered
        findings: list[Finding] = []
        for d, supports in enumerate(per_ref):
            by_sentence: dict[int, list[ClauseSupport]] = {}
            for s in supports:
                by_sentence.setdefault(s.clause.sentence, []).append(s)
            for sent_index, sent_supports in sorted(by_sentence.items()):
                missing = [s for s in sent_supports if not carried[(d, s.clause.start)]
                           and s.clause.has_verb and (d, s.clause.start) not in reported]
                if not any(len(s.clause.content) >= judge.settings.min_omission_words
                           for s in missing):
                    continue
                findings.append(self._omission(ctx, tables, d, sent_index, sent_supports,
                                               missing, confident, reported, judge))
        return findings

    def _omission(
        self,
        ctx: AuditContext,
        tables: ClauseTables,
        doc: int,
        sent_index: int,
        sent_supports: list[ClauseSupport],
        missing: list[ClauseSupport],
        confident: dict[tuple[int, int], bool],
        reported: set[tuple[int, int]],
        judge: _Judge,
    ) -> Finding:
        ref_sentences = tables.refs[doc]
        first, last = missing[0].clause, missing[-1].clause
        # Which other references carry the same content (clause support between references).
        carriers = [doc]
        unmatched = ctx.unmatched_references()  # another story: neither carrier nor voter
        for other in range(len(tables.refs)):
            if other == doc or other in unmatched:
                continue
            hits = [s for s in _supports(tables, [m.clause for m in missing],
                                         tables.ref_candidates(other), judge.settings)
                    if judge.carried(s)]
            if hits:
                carriers.append(other)
                for hit in hits:  # the other reference's clauses inside the matching unit
                    if hit.best is not None:
                        reported.update((other, c.start) for c in tables.flat_ref(other)
                                        if hit.best.start <= c.start < hit.best.end)
        reported.update((doc, s.clause.start) for s in missing)

        def sentence_carried(k: int) -> bool:
            return 0 <= k < len(ref_sentences) and any(
                confident[(doc, c.start)] for c in ref_sentences[k])

        # Neighbours: a sibling clause of the same sentence, or both adjacent sentences, carried
        # with the model's own confidence (p >= 0.5), not merely above a document's lowered cut.
        siblings = [s for s in sent_supports if confident[(doc, s.clause.start)]]
        neighbours = sentence_carried(sent_index - 1) and sentence_carried(sent_index + 1)
        # "Several references carry it": a strict majority of them (with one reference, itself).
        dropped = bool(siblings) or (
            neighbours and 2 * len(carriers) > len(tables.refs) - len(unmatched))
        anchor = siblings[-1].best if siblings else None
        if anchor is None and sentence_carried(sent_index - 1):
            previous = [s for s in _supports(tables, ref_sentences[sent_index - 1],
                                             tables.mt_units, judge.settings)
                        if s.probability >= judge.settings.supported_p]
            anchor = previous[-1].best if previous else None
        mt_pos = anchor.end if anchor is not None else None
        if dropped:
            why = "likely dropped: its neighbours in the reference are carried by the MT"
        elif len(carriers) > 1:
            why = "background: several references have it but its neighbours are not carried"
        else:
            why = "background in one reference"
        worst = min(missing, key=lambda s: s.probability)
        plural = "s" if len(carriers) > 1 else ""
        return Finding(
            kind=FindingKind.OMISSION,
            severity=judge.severity(worst) if dropped else Severity.MINOR,
            mt_start=mt_pos,
            mt_end=mt_pos,
            mt_text="",
            confidence=(1.0 - worst.probability) * (1.0 if dropped else 0.5),
            evidence=(f"{why}; carried by reference{plural} "
                      f"{', '.join(str(c) for c in sorted(carriers))}; closest MT text: "
                      f"{worst.best.text if worst.best else '(none)'!r} ({_describe(worst)})"),
            reference=Span(first.start, last.end,
                           ctx.references[doc].doc.text[first.start:last.end], doc),
            mt_sentence=ctx.sentence_of(max(mt_pos - 1, 0)) if mt_pos is not None else None,
            scored=dropped,  # a reporter's extra context is not the translation's fault
        )


@dataclass(frozen=True)
class _Judge:
    """One document's decision: carried above `cut` log-odds, major `major_odds` below it."""

    cut: float
    settings: ContentConfig

    def carried(self, support: ClauseSupport) -> bool:
        return _logit(support.probability) >= self.cut

    def severity(self, support: ClauseSupport) -> Severity:
        major = _logit(support.probability) < self.cut - self.settings.major_odds
        return Severity.MAJOR if major else Severity.MINOR


def _whole_sentence(tables: ClauseTables, finding: Finding) -> bool:
    """The finding spans every clause of its MT sentence."""
    clauses = tables.mt[finding.mt_sentence] if finding.mt_sentence is not None else []
    return bool(clauses) and (finding.mt_start, finding.mt_end) == (clauses[0].start,
                                                                   clauses[-1].end)


def _same_slot(ctx: AuditContext, omission: Finding, addition: Finding) -> bool:
    """True when the addition starts in the MT sentence after the omission's anchor point."""
    if omission.mt_start is None or addition.mt_start is None or addition.mt_sentence is None:
        return False
    anchor = ctx.sentence_of(max(omission.mt_start - 1, 0))
    if anchor is None:
        return False
    return addition.mt_sentence == anchor + 1 or (
        addition.mt_sentence == anchor and addition.mt_start >= omission.mt_start)


def _adjacent(sentence: list[Clause], a: Clause, b: Clause) -> bool:
    """True when clause b directly follows clause a within one sentence."""
    starts = [c.start for c in sentence]
    return starts.index(b.start) == starts.index(a.start) + 1


__all__ = ["ClauseSupport", "ContentDetector",
           "clause_supports", "decision_logit", "mt_clause_supports",
           "otsu_threshold", "reference_clause_supports", "support_probability"]
