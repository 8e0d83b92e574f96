"""Name-mangling benchmark: precision, recall and false positives of the names detector.

Data: benchmarks/data/name_pairs.tsv, 145 public figures (Korean, Japanese, Chinese, Russian and
Ukrainian, Arabic/Middle Eastern, European, US) with the Chinese form Chinese media use for them
(see benchmarks/data/README_names.md). None of them appears in the seed articles. From the
Chinese form, pypinyin gives the manglings a Chinese->English system makes:

- pinyin:    the pinyin of the Chinese form (East Asian names: 'Wen Zaiyin'; others: the
             surname's transliteration, 'Pujing')
- truncated: the pinyin with its last syllable lost ('Wen Zai')
- mixed:     English and pinyin parts mixed ('Moon Zaiyin', 'Vladimir Pujing')
- split:     a transliteration cut into two words ('La Fuluofu')
- spelling:  a near-miss spelling of the English surname (m/n before p/b, final vowel -> ei,
             v -> f, r -> l after a consonant)

Each variant is put in a small comparable document pair: a reference of four sentences (the
person with their title, another public figure, two fillers) and an MT that reorders and
paraphrases them, renders the other figure correctly and adds a correct place name the
reference does not mention. Controls put the correct full name or surname in the MT instead.

A second file, benchmarks/data/world_names.tsv, adds the world-knowledge slice: public figures
and places whose Chinese forms do not come from CC-CEDICT, split by whether the dictionary has
them (`--slice base|world|all`, figures by slice, origin and kind).

Run:  .venv/bin/python benchmarks/names_benchmark.py            (evaluate the shipped weights)
      .venv/bin/python benchmarks/names_benchmark.py --fit      (five folds grouped by name:
      each fold decided with weights fitted on the others, with and without the CC-CEDICT
      evidence; then NamesConfig.weights to ship, fitted on all rows)
      .venv/bin/python benchmarks/names_benchmark.py --mentions (mention extraction only)
      add --misses to list each missed mangling with its cause (no mention, carried by the
      references, ruled out, too weak with / without a dictionary form), counted per origin;
      --cache FILE keeps the audits (alignment, NER) and recomputes only the evidence.

Folds are grouped by name: a person or place sits in one fold with every case whose reference
names it (the "other public figure" of a case is drawn from the same fold), so no reference name
of a test case is seen in training.

Figures: README.md, section "Names".
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import os
import re
import sys
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATA = ROOT / "benchmarks" / "data" / "name_pairs.tsv"
WORLD = ROOT / "benchmarks" / "data" / "world_names.tsv"
EAST_ASIAN = {"korean", "japanese", "chinese"}
CITIES = ["Geneva", "Nairobi", "Jakarta", "Hanoi", "Brasilia", "Oslo", "Ankara", "Doha",
          "Canberra", "Ottawa", "Lima", "Warsaw", "Helsinki", "Manila", "Riyadh", "Cairo",
          "Vienna", "Madrid", "Stockholm", "Singapore", "Dakar", "Quito", "Tbilisi", "Astana"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
# Cross-validation folds, grouped by name: a person or place, with every case that names it in a
# reference (its own, and those where it is the other public figure), sits in one fold only.
FOLDS = 5


@dataclass(frozen=True)
class Person:
    """A public figure or a place (`kind`) with its Chinese form; `source` is the file it comes
    from ("base": name_pairs.tsv, "world": world_names.tsv) and `in_cedict` whether CC-CEDICT
    has that form with this English name (the world slice is split by it)."""

    row: int
    origin: str
    name: str
    chinese: str
    role: str
    kind: str = "person"
    source: str = "base"
    in_cedict: bool = False

    @property
    def slice(self) -> str:
        return f"{self.source}/{'in' if self.in_cedict else 'not in'} CC-CEDICT"

    @property
    def fold(self) -> int:
        """Cross-validation fold, by name (a name in both files falls in one fold)."""
        return zlib.crc32(" ".join(self.name.lower().split()).encode()) % FOLDS


@dataclass(frozen=True)
class Case:
    person: Person
    kind: str  # mangling kind, or "control-full" / "control-short"
    variant: str
    mt: str
    ref: str
    variant_start: int  # offset of the planted rendering in the MT
    correct_names: tuple[str, ...]  # correctly rendered names planted in the MT


def _rows(path: Path) -> list[list[str]]:
    return [r for r in csv.reader(
        (line for line in path.read_text(encoding="utf-8").splitlines()
         if line and not line.startswith("#")), delimiter="\t")]


def load_people(slices: str = "all") -> list[Person]:
    """The base set (name_pairs.tsv), the world-knowledge slice (world_names.tsv), or both;
    rows numbered across both so that the even/odd training split covers each."""
    people: list[Person] = []
    if slices in ("all", "base"):
        people += [Person(i, *r) for i, r in enumerate(_rows(DATA))]
    if slices in ("all", "world"):
        offset = len(_rows(DATA))
        for i, r in enumerate(_rows(WORLD)):
            origin, kind, name, chinese = r[:4]
            role = r[4] if len(r) > 4 else ""
            people.append(Person(offset + i, origin, name, chinese, role, kind, "world"))
    return [replace(p, in_cedict=_in_cedict(p)) for p in people]


def _dictionary_form(p: Person) -> str:
    """The Chinese form the MT reads: East Asian names and places whole, other persons their
    surname's transliteration (普京 of 弗拉基米尔·普京)."""
    if p.kind == "place" or p.origin in EAST_ASIAN:
        return p.chinese.replace(" ", "")
    return p.chinese.split("·")[-1]


def _in_cedict(p: Person) -> bool:
    """Whether CC-CEDICT has the form with this English name (splits the slices; the detector
    never sees this)."""
    from auditor.lang.cedict import load_cedict
    from auditor.lang.name_glosses import entry_names, gloss_matches, name_words

    words = name_words(p.name)
    return any(gloss_matches(n, words) for e in load_cedict().lookup(_dictionary_form(p))
               for n in entry_names(e))


def _pinyin(chinese: str) -> list[str]:
    from pypinyin import lazy_pinyin

    return [s for s in lazy_pinyin(chinese) if s.strip() and s.isalpha()]


def _cap(syllables: list[str]) -> str:
    return "".join(syllables).capitalize()


def _spelling(surname: str) -> str | None:
    rules = [
        (r"m(?=[bp])", "n"), (r"n(?=[bp])", "m"), (r"[aeiou]+$", "ei"), (r"v", "f"),
        (r"(?<=[^aeiou])r", "l"), (r"ll", "l"), (r"(?<=[aeiou])n$", "ng"),
    ]
    start = zlib.crc32(surname.encode()) % len(rules)
    for k in range(len(rules)):
        pattern, repl = rules[(start + k) % len(rules)]
        out = re.sub(pattern, repl, surname, count=1)
        if out != surname:
            return out
    return None


def place_manglings(p: Person) -> dict[str, str]:
    """Variants of a place name: its pinyin run together ('Hengbin') and syllable by syllable
    ('Heng Bin'), the same with the last syllable lost, and a near-miss English spelling."""
    out: dict[str, str] = {}
    syllables = _pinyin(p.chinese)
    out["pinyin"] = _cap(syllables)
    if len(syllables) >= 2:
        out["spaced"] = " ".join(s.capitalize() for s in syllables)
    if len(syllables) >= 3:
        out["truncated"] = _cap(syllables[:-1])
    if " " not in p.name:
        spelled = _spelling(p.name)
        if spelled:
            out["spelling"] = spelled.capitalize()
    return out


def manglings(p: Person) -> dict[str, str]:
    """Variant per mangling kind for one person (kinds that do not apply are left out)."""
    out: dict[str, str] = {}
    words = p.name.split()
    if p.kind == "place":
        out = place_manglings(p)
    elif p.origin in EAST_ASIAN and " " in p.chinese:
        sur_zh, given_zh = p.chinese.split(" ", 1)
        sur, given = _pinyin(sur_zh), _pinyin(given_zh)
        out["pinyin"] = f"{_cap(sur)} {_cap(given)}"
        if len(given) >= 2:
            out["truncated"] = f"{_cap(sur)} {_cap(given[:-1])}"
        # Japanese names and Chinese ones with an English given name ('John Lee') end with the
        # surname in English; Korean and other Chinese ones start with it.
        surname_last = p.origin == "japanese" or (len(words) == 2 and "-" not in p.name)
        english_surname = words[-1] if surname_last else words[0]
        out["mixed"] = f"{english_surname} {_cap(given)}"
        spelled = _spelling(english_surname)
        if spelled and len(english_surname) >= 4:
            out["spelling"] = p.name.replace(english_surname, spelled.capitalize())
    else:
        parts = p.chinese.split("·")
        sur = _pinyin(parts[-1])
        out["pinyin"] = _cap(sur)
        if len(sur) >= 3:
            out["truncated"] = _cap(sur[:-1])
            out["split"] = f"{_cap(sur[:1])} {_cap(sur[1:])}"
        if len(parts) >= 2 and len(words) >= 2:
            out["mixed"] = f"{words[0]} {_cap(sur)}"
        spelled = _spelling(words[-1])
        if spelled:
            out["spelling"] = spelled.capitalize()
    seen = {p.name.lower(), *(w.lower() for w in words)}
    unique: dict[str, str] = {}
    for kind, variant in out.items():
        if variant.lower() not in seen:
            unique[kind] = variant
            seen.add(variant.lower())
    return unique


def _pick(pool: list[Person], p: Person, step: int) -> Person:
    """A member of `pool` chosen by `p`'s row (deterministic, spread over the pool)."""
    return pool[(p.row + step) % len(pool)]


def _same_fold(people: list[Person], p: Person) -> list[Person]:
    return [q for q in people if q.fold == p.fold and q.row != p.row]


def _other_same_origin(people: list[Person], p: Person, exclude: tuple[int, ...] = ()
                       ) -> Person:
    """A correct name of the same origin (in the same fold), else of any origin in the fold."""
    pool = [q for q in _same_fold(people, p) if q.row not in exclude]
    same = [q for q in pool if q.origin == p.origin]
    return _pick(same or pool, p, 0)


def build_place_cases(p: Person, persons: list[Person], places: list[Person]) -> list[Case]:
    """A place in the reference and its variants in the MT: the same four sentences as for a
    person, with the place where the talks were held."""
    cases: list[Case] = []
    other = _pick([q for q in persons if q.fold == p.fold], p, 37)
    city, city2 = CITIES[p.row % len(CITIES)], CITIES[(p.row + 7) % len(CITIES)]
    extra = CITIES[(p.row + 13) % len(CITIES)]
    day = DAYS[p.row % len(DAYS)]
    ref = (f"{other.role} {other.name} said on {day} that the talks in {p.name} had been useful. "
           f"Officials did not give details of the agenda. "
           f"A delegation from {city} is expected to visit {city2} next month. "
           f"The two sides agreed to meet again before the end of the year.")
    variants = dict(manglings(p))
    variants["control-full"] = p.name
    variants["control-other"] = _other_same_origin(places, p).name
    for kind, variant in variants.items():
        first = f"{other.name} said on {day} that talks in {variant} were useful."
        mt = (f"The two sides agreed to meet again by the end of the year. {first} "
              f"Officials did not disclose details of the agenda. "
              f"A delegation from {city} will visit {city2} next month, and {extra} will host "
              f"a summit.")
        start = mt.index(first) + mt[mt.index(first):].index(f"in {variant}") + 3
        correct = (other.name, extra, city, city2) + ((variant,) if kind.startswith(
            "control") else ())
        cases.append(Case(p, kind, variant, mt, ref, start, correct))
    return cases


def build_cases(people: list[Person]) -> list[Case]:
    cases: list[Case] = []
    places = [p for p in people if p.kind == "place"]
    people = [p for p in people if p.kind == "person"]
    for p in places:
        cases += build_place_cases(p, people, places)
    for p in people:
        other = _pick(_same_fold(people, p), p, 37)
        city, city2 = CITIES[p.row % len(CITIES)], CITIES[(p.row + 7) % len(CITIES)]
        extra = CITIES[(p.row + 13) % len(CITIES)]
        day = DAYS[p.row % len(DAYS)]
        ref = (f"{p.role} {p.name} said on {day} that the talks in {city} had been useful. "
               f"Officials did not give details of the agenda. "
               f"{other.role} {other.name} is expected to visit {city2} next month. "
               f"The two sides agreed to meet again before the end of the year.")
        words = p.name.split()
        variants = dict(manglings(p))
        variants["control-full"] = p.name
        # a different public figure of the same origin in the person's place: a correct name
        # the reference does not mention, in the sentence aligned to the person's
        variants["control-other"] = _other_same_origin(people, p, (other.row,)).name
        surname_first = p.origin == "korean" or (p.origin == "chinese" and "-" in p.name)
        variants["control-short"] = words[0] if surname_first else words[-1]
        for kind, variant in variants.items():
            with_role = zlib.crc32(f"{p.name}{kind}".encode()) % 2 == 0
            lead = f"{p.role} " if with_role else ""
            first = f"{lead}{variant} said on {day} that talks in {city} were useful."
            mt = (f"The two sides agreed to meet again by the end of the year. {first} "
                  f"Officials did not disclose details of the agenda. "
                  f"{other.name} will visit {city2} next month, and {extra} will host a summit.")
            start = mt.index(first) + len(lead)
            correct = (other.name, extra, city, city2) + ((variant,) if kind.startswith(
                "control") else ())
            cases.append(Case(p, kind, variant, mt, ref, start, correct))
    return cases


@dataclass
class Analysed:
    """One case audited: what the names detector saw (mentions, reference entities, alignment
    scores per pair), kept so that the evidence can be recomputed without auditing again."""

    case: Case
    mt_mentions: list
    entities: list
    phrases: str
    aligned: list[list[float]]  # [MT mention][entity]
    alignments: tuple
    calques: list  # calque findings (they do not depend on the weights)


def audit_all(cases: list[Case], cache: Path | None) -> tuple[list[Analysed], frozenset[str]]:
    """Audit every case once (alignment, NER); with `cache`, read / write the audits there (a
    development aid: delete it when mention extraction or alignment changes)."""
    import pickle

    if cache is not None and cache.is_file():
        stored = pickle.loads(cache.read_bytes())
        by_key = {(a.case.person.name, a.case.kind, a.case.mt): a for a in stored["analysed"]}
        if all((c.person.name, c.kind, c.mt) in by_key for c in cases):
            return ([replace_case(by_key[(c.person.name, c.kind, c.mt)], c) for c in cases],
                    stored["dictionary"])
    from auditor import Auditor
    from auditor.detect.base import Detector
    from auditor.detect.names import (
        NameDetector,
        _aligned_pairs,
        _aligned_score,
        english_words,
        find_calques,
    )
    from auditor.result import Document

    analysed: list[Analysed] = []
    current: list[Case] = []

    class Recorder(Detector):
        id = "names-recorder"

        def find(self, ctx):  # type: ignore[no-untyped-def]
            a = NameDetector().analyse(ctx)
            pairs = _aligned_pairs(ctx)
            analysed.append(Analysed(
                current[0], a.mt_mentions, a.entities, a.phrases,
                [[_aligned_score(ctx, m, e, pairs) for e in a.entities] for m in a.mt_mentions],
                tuple(ctx.alignments), find_calques(ctx, a)))
            return []

    auditor = Auditor(detectors=[])
    auditor.detectors = [Recorder()]
    for c in cases:
        current[:] = [c]
        auditor.audit(Document(c.mt, "mt"), [Document(c.ref, "ref")])
    dictionary = english_words(auditor.resources.nlp)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_bytes(pickle.dumps({"analysed": analysed, "dictionary": dictionary}))
    return analysed, dictionary


def replace_case(a: Analysed, c: Case) -> Analysed:
    return dataclasses.replace(a, case=c)


def features_of(analysed: list[Analysed], dictionary: frozenset[str]):  # type: ignore[no-untyped-def]
    """The names detector's analysis of each case, support and evidence recomputed with the
    current code (`NameDetector.analyse` after the parse)."""
    from auditor.config import NamesConfig
    from auditor.detect.names import NameAnalysis, candidate_features, is_supported

    max_words = NamesConfig().max_words
    out = []
    for a in analysed:
        chosen = [i for i, m in enumerate(a.mt_mentions)
                  if not is_supported(m, a.phrases, a.entities, a.case.ref)
                  and len(m.words) <= max_words]
        unsupported = [a.mt_mentions[i] for i in chosen]
        features = [[candidate_features(a.mt_mentions[i], e, a.aligned[i][k], dictionary)
                     for k, e in enumerate(a.entities)] for i in chosen]
        out.append((a, NameAnalysis([], [], a.mt_mentions, a.entities, a.phrases, unsupported,
                                    features, None, dictionary)))
    return out


def decide(detector, a: Analysed, analysis):  # type: ignore[no-untyped-def]
    """`NameDetector.decide` on a stored audit: mangled names, then calques not overlapping."""
    from types import SimpleNamespace

    from auditor.config import AuditConfig

    ctx = SimpleNamespace(config=AuditConfig(), alignments=a.alignments)
    findings = detector._mangled(ctx, analysis)
    taken = [(f.mt_start or 0, f.mt_end or 0) for f in findings]
    return findings + [f for f in a.calques if not any(
        s < (f.mt_end or 0) and (f.mt_start or 0) < e for s, e in taken)]


def run(cases: list[Case], fit: bool, verbose: bool = False, misses: bool = False,
        cache: Path | None = None) -> None:
    """Audit every case once (alignment, NER, features), then decide with the given weights."""
    import numpy as np

    from auditor.config import NamesConfig
    from auditor.detect.names import NameDetector

    audits, dictionary = audit_all(cases, cache)
    analysed = features_of(audits, dictionary)

    def pairs(subset, without_gloss=False):  # type: ignore[no-untyped-def]
        rows = []
        for a, analysis in subset:
            c = a.case
            for m, feats in zip(analysis.unsupported, analysis.features, strict=True):
                hit = m.start <= c.variant_start < m.end and not c.kind.startswith("control")
                for e, f in zip(analysis.entities, feats, strict=True):
                    vector = f.vector()[:-1] if without_gloss else f.vector()
                    rows.append((vector, int(hit and e.name == c.person.name)))
        return rows

    # the same analyses as if the dictionary had never been read
    blind = [(a, dataclasses.replace(an, features=[
        [dataclasses.replace(f, gloss=0.0, gloss_entry="") for f in row] for row in an.features]))
        for a, an in analysed]

    if not fit:
        weights = tuple(NamesConfig().weights)
        detector = NameDetector(weights)
        results = [(a.case, decide(detector, a, an)) for a, an in analysed]
        report(results, verbose)
        if misses:
            explain_misses([(a, an, r[1], weights) for (a, an), r in zip(analysed, results,
                                                                         strict=True)])
        calibration(pairs(analysed), weights, np)
        return
    # FOLDS folds grouped by name: each fold is decided with weights fitted on the others, with
    # and without the dictionary evidence (the last feature), so both figures are held-out and
    # comparable; no reference name of a test case is in its training folds.
    for without_gloss in (True, False):
        pool = blind if without_gloss else analysed
        results, held_out, explained = [], [], []
        for fold in range(FOLDS):
            train = [x for x in pool if x[0].case.person.fold != fold]
            test = [x for x in pool if x[0].case.person.fold == fold]
            weights = fit_weights(pairs(train, without_gloss))
            if without_gloss:
                weights = (*weights, 0.0)
            detector = NameDetector(weights)
            for a, an in test:
                found = decide(detector, a, an)
                results.append((a.case, found))
                explained.append((a, an, found, weights))
            held_out.append((pairs(test), weights))
        print(f"\n== cross-validated ({FOLDS} folds grouped by name), "
              f"{'WITHOUT' if without_gloss else 'WITH'} the CC-CEDICT evidence ==")
        report(results, verbose and not without_gloss)
        if misses and not without_gloss:
            explain_misses(explained)
        for rows, weights in held_out if not without_gloss else []:
            calibration(rows, weights, np)
    weights = fit_weights(pairs(analysed))
    print("\nNamesConfig.weights fitted on all rows (to ship) =",
          tuple(round(w, 3) for w in weights))


def explain_misses(explained) -> None:  # type: ignore[no-untyped-def]
    """Each missed mangling with the first reason that applies, counted per origin: no mention
    covers it; the references 'carry' it; no reference entity of that name; another entity
    won; a pair ruled out (`compatible`); too weak, split by the dictionary evidence (an entry
    matched only as a prefix; the dictionary has the form but the reading-back missed it; the
    dictionary lacks the form)."""
    from collections import Counter, defaultdict

    from auditor.config import NamesConfig
    from auditor.detect.names import compatible

    report_p = NamesConfig().report_p
    causes: dict[str, Counter[str]] = defaultdict(Counter)
    lines: list[str] = []
    for a, analysis, findings, weights in explained:
        c = a.case
        if c.kind.startswith("control"):
            continue
        if any(f.canonical == c.person.name and f.mt_start is not None and f.mt_end is not None
               and f.mt_start <= c.variant_start < f.mt_end for f in findings):
            continue
        mention = next((m for m in a.mt_mentions if m.start <= c.variant_start < m.end), None)
        index = next((i for i, m in enumerate(analysis.unsupported) if m is mention), None)
        entity = next((k for k, e in enumerate(analysis.entities)
                       if e.name == c.person.name), None)
        detail = ""
        if mention is None:
            cause = "no mention"
        elif index is None:
            cause = f"carried by the references ({mention.text!r})"
        elif entity is None:
            cause = "no reference entity"
        else:
            f = analysis.features[index][entity]
            p = f.probability(weights)
            detail = (f"p={p:.2f} str={f.string:.2f} skel={f.skeleton * f.skeleton_length:.2f} "
                      f"snd={f.sound:.2f} rom={f.romanisation:.2f} gloss={f.gloss:.1f} "
                      f"al={f.aligned:.1f} mention={mention.text!r}")
            if not compatible(mention, analysis.entities[entity], f, analysis.dictionary):
                cause = "ruled out (dictionary words)"
            elif p >= report_p:
                cause = "another entity or the cluster won"
            elif f.gloss == 0.5:
                cause = "weak: dictionary prefix only"
            elif f.gloss == 0.0 and c.person.in_cedict:
                cause = "weak: in CC-CEDICT, not read back"
            elif f.gloss == 0.0:
                cause = "weak: no dictionary form"
            else:
                cause = "weak despite the dictionary"
        causes[c.person.origin][cause] += 1
        causes["ALL"][cause] += 1
        lines.append(f"  {c.person.origin:9s} {c.person.kind:6s} {c.kind:10s} "
                     f"{c.variant!r} for {c.person.name!r} ({c.person.chinese}): {cause} {detail}")
    print("\nmisses by cause and origin:")
    for origin in sorted(causes):
        total = sum(causes[origin].values())
        print(f"  {origin} ({total}): " + "; ".join(f"{k} {v}" for k, v in
                                                     causes[origin].most_common()))
    print("\n".join(sorted(lines)))


def fit_weights(rows: list[tuple[tuple[float, ...], int]]) -> tuple[float, ...]:
    """Logistic regression (scipy L-BFGS) with a light L2 penalty. Classes keep their natural
    proportions, so the output is a probability for candidate pairs as the detector meets them."""
    import numpy as np
    from scipy.optimize import minimize

    x = np.array([[1.0, *r[0]] for r in rows])
    y = np.array([r[1] for r in rows], dtype=float)

    def loss(w: np.ndarray) -> float:
        z = x @ w
        return float((np.logaddexp(0, z) - y * z).mean() + 1e-4 * (w[1:] ** 2).sum())

    res = minimize(loss, np.zeros(x.shape[1]), method="L-BFGS-B")
    return tuple(float(v) for v in res.x)


def report(results, verbose: bool = False) -> None:  # type: ignore[no-untyped-def]
    from collections import defaultdict

    tp = fn = fp = 0
    by: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # tp, fn, fp
    correct_total = correct_flagged = 0
    for c, findings in results:
        key_origin, key_kind = f"origin={c.person.origin}", f"kind={c.kind}"
        keys = (key_origin, key_kind, f"slice={c.person.slice}",
                f"{c.person.kind}s of slice={c.person.slice}")
        planted = not c.kind.startswith("control")
        hit = [f for f in findings if f.mt_start is not None and f.mt_end is not None
               and f.mt_start <= c.variant_start < f.mt_end]
        good = [f for f in hit if f.canonical == c.person.name]
        if planted:
            ok = bool(good)
            tp += ok
            fn += not ok
            for key in keys:
                by[key][0 if ok else 1] += 1
        wrong = [f for f in findings if f not in good or not planted]
        if verbose and planted and not good:
            print(f"    MISS {c.kind:10s} {c.variant!r} for {c.person.name!r}")
        for f in wrong if verbose else []:
            print(f"    FP   {f.mt_text!r} -> {f.canonical!r} p={f.confidence:.2f} ({c.kind})")
        fp += len(wrong)
        for key in keys:
            by[key][2] += len(wrong)
        for name in c.correct_names:
            correct_total += 1
            start = c.mt.find(name)
            if any(f.mt_start is not None and f.mt_end is not None
                   and f.mt_start <= start < f.mt_end for f in findings):
                correct_flagged += 1
    precision = tp / max(1, tp + fp)
    recall = tp / max(1, tp + fn)
    print(f"cases: {len(results)}  mangled variants: {tp + fn}")
    print(f"precision {precision:.3f}  recall {recall:.3f}  TP {tp}  FN {fn}  FP {fp}")
    print(f"correctly rendered names flagged: {correct_flagged}/{correct_total}")
    for key in sorted(by):
        t, f_n, f_p = by[key]
        print(f"  {key:40s} recall {t / max(1, t + f_n):.3f} ({t}/{t + f_n})  "
              f"precision {t / max(1, t + f_p):.3f}  FP {f_p}")


def calibration(rows, weights, np) -> None:  # type: ignore[no-untyped-def]
    """Reliability of the pairwise probability: mean prediction vs observed rate per bin."""
    x = np.array([[1.0, *r[0]] for r in rows])
    y = np.array([r[1] for r in rows])
    if not len(y):
        return
    p = 1 / (1 + np.exp(-(x @ np.array(weights))))
    print("pairwise calibration (candidate pairs, before clustering):")
    edges = [0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0001]
    for lo, hi in zip(edges, edges[1:], strict=False):
        sel = (p >= lo) & (p < hi)
        if sel.any():
            print(f"  p in [{lo:.1f},{min(hi, 1):.1f}): n={sel.sum():5d}"
                  f"  mean p {p[sel].mean():.3f}"
                  f"  observed {y[sel].mean():.3f}")


def mention_recall(cases: list[Case]) -> None:
    """Share of planted manglings that spaCy's NER alone, and NER plus proper-noun runs (what
    the detector uses), cover with a mention."""
    from auditor.detect.clauses import parsed_sentences
    from auditor.detect.names import extract_mentions
    from auditor.detect.nlp import load_spacy
    from auditor.result import Document
    from auditor.segment import segment_document

    nlp = load_spacy()
    planted = [c for c in cases if not c.kind.startswith("control")]
    by_ner = by_both = 0
    for c in planted:
        parsed = nlp(c.mt)
        by_ner += any(e.start_char <= c.variant_start < e.end_char for e in parsed.ents)
        seg = segment_document(Document(c.mt))
        mentions = extract_mentions(-1, parsed_sentences(seg, list(nlp.pipe(seg.texts))))
        by_both += any(m.start <= c.variant_start < m.end for m in mentions)
    print(f"mangled variants covered by a mention: NER alone {by_ner / len(planted):.3f}, "
          f"NER + proper-noun runs {by_both / len(planted):.3f} (n={len(planted)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", action="store_true",
                        help="refit NamesConfig.weights on the training half")
    parser.add_argument("--verbose", action="store_true", help="list misses and false positives")
    parser.add_argument("--mentions", action="store_true",
                        help="only measure mention extraction (NER vs NER + proper nouns)")
    parser.add_argument("--misses", action="store_true",
                        help="each missed mangling with its cause, counted per origin")
    parser.add_argument("--cache", type=Path, default=None,
                        help="keep the audits in this file and reuse them (development aid)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N people")
    parser.add_argument("--slice", choices=("all", "base", "world"), default="all",
                        help="base set (name_pairs.tsv), world-knowledge slice, or both")
    args = parser.parse_args()
    people = load_people(args.slice)
    if args.limit:
        people = people[: args.limit]
    cases = build_cases(people)
    pairs = sum(1 for c in cases if not c.kind.startswith("control"))
    print(f"people: {len(people)}  name pairs (mangled variants): {pairs}  "
          f"controls: {len(cases) - pairs}")
    if args.mentions:
        mention_recall(cases)
        return
    run(cases, args.fit, args.verbose, args.misses, args.cache)


if __name__ == "__main__":
    main()
