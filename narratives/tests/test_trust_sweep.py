"""Every algorithm at every k from 3 to 8 (one run for the density methods, which choose their
own number of segments), on the real file and on the bundled sample: the words of every run must
be true to its figures.

One fit per run, shared by all the checks (a module-scoped sweep); rule-based personas for
every run, and LLM personas from the local OpenAI-compatible server for every run of one file.
Each check collects its violations over the whole sweep, so a failure lists all of them.
"""

from __future__ import annotations

import multiprocessing
import re
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from narratives import RuleBasedWriter, Shelf, build_context
from narratives.context import RunContext, SegmentContext
from narratives.llm import OpenAIWriter, make_client
from narratives.personas import Persona, authorship
from narratives.sources import trace
from narratives.templates import fmt
from segmenter.cluster.algorithms import ALGORITHMS
from segmenter.explain.naming import DOMINANT_NAME, NOISE_NAME, fallback_names, signals
from segmenter.explain.vocabulary import default_vocabulary
from segmenter.ingest.read import load_customers
from segmenter.pipeline import run_segmentation
from segmenter.results import RunProfile
from testkit.llm_server import answer, running_server
from testkit.paths import SAMPLE

KS = range(3, 9)  # the business range of k
# Measured on the real file: Ward ~14 s a fit, spectral ~7, BIRCH and the mixture ~5, the rest less.
SLOWEST_FIRST = ("agglomerative", "spectral", "birch", "gmm", "hdbscan", "dbscan", "kmeans")
_COMPARING = re.compile(r"\b(high|higher|low|lower|stand|stands|above|below)\b", re.I)


@dataclass(frozen=True)
class Run:
    """One segmentation of the sweep, its context and its rule-based personas."""

    label: str  # "real kmeans k=4"
    profile: RunProfile
    context: RunContext
    personas: list[Persona]


def profiles(path: Path, algorithm: str) -> list[tuple[str, RunProfile]]:
    """One algorithm at every k of the sweep on one file (run in a worker process)."""
    frame = load_customers(path).frame
    return [
        (
            f"{algorithm}" + (f" k={k}" if k else ""),
            run_segmentation(frame, algorithm=algorithm, k=k, seed=0).profile,
        )
        for k in (KS if ALGORITHMS[algorithm].uses_k else [None])
    ]


@pytest.fixture(scope="module")
def runs(real_data_path: Path, shelf: Shelf) -> list[Run]:
    # Each file and algorithm a task for two processes (each fit runs on one core); the slowest
    # algorithms first, so that neither process is left with a long one at the end.
    files = (("real", real_data_path), ("sample", SAMPLE))
    tasks = [(name, path, a) for a in SLOWEST_FIRST for name, path in files]
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        done = list(pool.map(profiles, [t[1] for t in tasks], [t[2] for t in tasks]))
    fitted = {(name, a): fits for (name, _, a), fits in zip(tasks, done, strict=True)}
    out = []
    for name, _ in files:
        for algorithm in ALGORITHMS:  # the runs in the order of the algorithms, as reported
            for label, profile in fitted[name, algorithm]:
                context = build_context(profile)
                personas = RuleBasedWriter(shelf).write(context)
                out.append(Run(f"{name} {label}", profile, context, personas))
    return out


def llm_answer(s: SegmentContext, matches: list[str]) -> dict[str, object]:
    """What a model that follows the prompt writes: the facts it was given, in its own words,
    but with its needs in its own order (the most pressing last) and a line said twice: the
    bank's policy and "each line once" must hold whatever the model wrote."""
    said = [
        f"Their {f.label} is {'higher' if f.direction == 'high' else 'lower'} than the book's: "
        f"{f.stat} {fmt(f.value, f.kind)} against {fmt(f.book, f.kind)}."
        for f in s.facts
    ]
    traits = said or ["Their figures are close to the book's."]
    return {
        "summary": f"A group of {s.size:,} customers. " + " ".join(said),
        "traits": [*traits, traits[0]],
        "needs": list(reversed(s.need_texts)),
        "products": [{"product": p, "rationale": "It fits the shelf's rule."} for p in matches],
        "channels": list(s.channels),
        "messages": ["A fair offer, clearly explained."] * 2,
    }


@pytest.fixture(scope="module")
def llm_runs(runs: list[Run], shelf: Shelf) -> list[Run]:
    """The real file's runs again, with personas written by the local LLM server."""
    out = []
    with running_server() as server:
        client = make_client(api_key="test", base_url=server.base_url, timeout=10, max_retries=0)
        writer = OpenAIWriter(client, model="test-model", fallback=RuleBasedWriter(shelf))
        for run in runs:
            if not run.label.startswith("real "):
                continue
            for s in run.context.segments:
                picks = [m.product.id for m in shelf.match(s)]
                server.queue(s.id, answer(llm_answer(s, picks)))
            personas = writer.write(run.context)
            out.append(
                Run(run.label.replace("real", "real LLM"), run.profile, run.context, personas)
            )
    return out


def both(runs: list[Run], llm_runs: list[Run]) -> Iterator[Run]:
    yield from runs
    yield from llm_runs


def test_the_sweep_covers_every_algorithm_and_k(runs: list[Run], llm_runs: list[Run]) -> None:
    per_file = sum(len(KS) if spec.uses_k else 1 for spec in ALGORITHMS.values())
    assert len(runs) == 2 * per_file
    assert len(llm_runs) == per_file
    verdicts = Counter(run.context.verdict.level for run in runs)
    segments = sum(len(run.context.segments) for run in runs)
    written = sum(p.source == "llm" for run in llm_runs for p in run.personas)
    llm_personas = sum(len(run.personas) for run in llm_runs)
    # What the sweep saw, for `pytest -s -k covers` (the closing notes quote it).
    print(
        f"\nsweep: {len(runs)} rule-based runs, {segments} segments, verdicts "
        f"{dict(sorted(verdicts.items()))}; {len(llm_runs)} LLM runs, {written} of "
        f"{llm_personas} personas written by the model"
    )
    for run in llm_runs:  # the model wrote every persona it was asked for, and is credited
        asked = [p for p, s in zip(run.personas, run.context.segments, strict=True) if not s.coarse]
        assert all(p.source == "llm" for p in asked), (
            run.label,
            [p.fallback_reason for p in asked],
        )
        credit = authorship(run.personas, model="test-model", endpoint="127.0.0.1")
        assert credit.model == ("test-model" if asked else None)


def test_names_and_titles_are_unique_within_a_run(runs: list[Run], llm_runs: list[Run]) -> None:
    bad = []
    for run in both(runs, llm_runs):
        names = [s.name for s in run.context.segments]
        titles = [p.persona_name for p in run.personas]
        if len(set(names)) != len(names) or len(set(titles)) != len(titles):
            bad.append((run.label, names, titles))
    assert not bad


def test_every_title_holds_on_its_segment(runs: list[Run], llm_runs: list[Run]) -> None:
    vocabulary = default_vocabulary()
    bad = []
    for run in both(runs, llm_runs):
        for profile, persona in zip(
            sorted(run.profile.segments, key=lambda s: (s.is_noise, s.id)),
            run.personas,
            strict=True,
        ):
            title = persona.persona_name
            archetype = vocabulary.archetype(profile.archetype)
            if archetype is not None:
                ok = archetype.holds(signals(profile)) and (
                    title == archetype.title or title.startswith(f"{archetype.title}, ")
                )
            elif profile.is_noise:
                ok = title == NOISE_NAME
            else:  # no archetype: named by what sets it apart, or the dominant group
                ok = title == profile.name and (
                    title in (DOMINANT_NAME, f"Segment {profile.id}")
                    or title in fallback_names(profile)
                )
            # No archetype title on a segment that fits none (the old "Quiet" on revolvers).
            ok = ok and not any(
                title.startswith(a.title) and not a.holds(signals(profile))
                for a in vocabulary.archetypes
            )
            if not ok:
                bad.append((run.label, profile.id, profile.name, title))
    assert not bad


def test_no_high_confidence_on_a_dominant_group_or_many_unassigned(runs: list[Run]) -> None:
    bad = []
    for run in runs:
        segments = run.profile.segments
        largest = max((s.share for s in segments if not s.is_noise), default=0.0)
        if largest > 0.8 or run.profile.metrics.noise_share > 0.3:
            levels = [s.confidence.level for s in run.context.segments]
            if run.context.verdict.level == "high" or "high" in levels:
                bad.append((run.label, largest, run.profile.metrics.noise_share, levels))
            elif "does not split these customers into usable segments" not in " ".join(
                p.summary for p in run.personas
            ):
                bad.append((run.label, "no plain sentence"))
    assert not bad


def differs_too_little(kind: str, value: float, book: float) -> bool:
    if kind == "share":
        return abs(value - book) <= 0.03
    return abs(value - book) <= 0.05 * abs(book)


def test_no_segment_stands_out_for_a_figure_close_to_the_book(
    runs: list[Run], llm_runs: list[Run]
) -> None:
    """A sentence that says high, low or stands out, citing a segment figure and the book's
    same statistic, must cite figures more than 5 % apart (3 points for shares)."""
    bad = []
    checked = 0
    for run in both(runs, llm_runs):
        for persona, s in zip(run.personas, run.context.segments, strict=True):
            figures = {f.feature: f for f in s.figures}
            texts = [persona.summary, *persona.traits]
            for sentence in (x for t in texts for x in re.split(r"(?<=[.;])\s+", t)):
                if not _COMPARING.search(sentence):
                    continue
                cited = {
                    (src.feature, src.stat, src.role)
                    for _, matched in trace(sentence, persona.sources)
                    for src in matched[:1]
                }
                for feature, stat, role in cited:
                    if role != "segment" or (feature, stat, "book") not in cited:
                        continue
                    f = figures[feature]
                    value, book = (
                        (f.mean, f.population_mean)
                        if stat == "mean"
                        else (f.median, f.population_median)
                    )
                    checked += 1
                    if differs_too_little(f.kind, value, book):
                        bad.append((run.label, s.id, sentence))
    assert checked > 500  # the check saw the personas' comparisons
    assert not bad


def test_every_number_of_a_persona_has_a_source(runs: list[Run], llm_runs: list[Run]) -> None:
    bad = []
    for run in both(runs, llm_runs):
        for persona in run.personas:
            cited, _ = persona.footnoted()
            texts = [persona.summary, *persona.traits, *persona.needs]
            texts += [p.rationale for p in persona.products]
            for text in texts:
                untraced = [q.text for q, matched in trace(text, persona.sources) if not matched]
                if untraced:
                    bad.append((run.label, persona.segment_id, untraced, text))
            assert len(cited["summary"]) == 1
    assert not bad


def test_no_line_is_said_twice(runs: list[Run], llm_runs: list[Run]) -> None:
    bad = []
    for run in both(runs, llm_runs):
        for persona in run.personas:
            for field in ("traits", "needs", "channels", "messages"):
                lines = getattr(persona, field)
                if len(set(lines)) != len(lines):
                    bad.append((run.label, persona.segment_id, field, lines))
    assert not bad


def test_strained_segments_get_help_before_credit(
    runs: list[Run], llm_runs: list[Run], shelf: Shelf
) -> None:
    credit = {p.id for p in shelf.products if p.credit}
    strained = 0
    bad = []
    for run in both(runs, llm_runs):
        for persona, s in zip(run.personas, run.context.segments, strict=True):
            if not s.strain:
                continue
            strained += 1
            ids = [p.product_id for p in persona.products]
            if "flexible-credit-line" in ids or persona.needs[:1] != (
                default_vocabulary().needs["debt-help"],
            ):
                bad.append((run.label, s.id, ids, persona.needs))
            firsts = [i in credit for i in ids]
            if firsts != sorted(firsts):  # credit after everything else
                bad.append((run.label, s.id, ids))
            rationales = [p.rationale for p in persona.products if p.product_id in credit]
            if not all(r.startswith(shelf.affordability) for r in rationales):
                bad.append((run.label, s.id, rationales))
    assert strained > 20
    assert not bad


# What a title claims, checked on the figures themselves rather than on the vocabulary's own
# conditions: a "Dormant" or "Quiet" segment buys less often than the book, a borrower draws
# cash more often.
TITLE_MEANINGS = {
    "Dormant": ("PURCHASES_FREQUENCY", "below"),
    "Quiet": ("PURCHASES_FREQUENCY", "below"),
    "Borrower": ("CASH_ADVANCE_FREQUENCY", "above"),
    "Card-and-Cash": ("CASH_ADVANCE_FREQUENCY", "above"),
}


def test_titles_mean_what_they_say(runs: list[Run], llm_runs: list[Run]) -> None:
    bad = []
    checked = 0
    for run in both(runs, llm_runs):
        for persona, s in zip(run.personas, run.context.segments, strict=True):
            figure = {f.feature: f for f in s.figures}
            for word, (feature, side) in TITLE_MEANINGS.items():
                if word not in persona.persona_name or feature not in figure:
                    continue
                checked += 1
                f = figure[feature]
                if (f.mean < f.population_mean) != (side == "below"):
                    bad.append((run.label, s.id, persona.persona_name, f.mean, f.population_mean))
    assert checked > 50
    assert not bad


def test_footnotes_name_the_side_a_figure_is_on(runs: list[Run]) -> None:
    """ "$0 for the book" cites the book's figure; "7% on average against 49%" the segment's;
    "$0 for segment 5" the other segment's; and "median $0[n]" a median, "7%[n] on average" a
    mean."""
    sides = (
        (re.compile(r"\s*(?:months )?(?:for|across) the book"), "book"),
        (re.compile(r"\s*(?:months )?(?:on average )?(?:against [$\d]|\(book)"), "segment"),
        (re.compile(r"\s*for segment \d"), "other"),
    )
    bad = []
    checked = 0
    for run in runs:
        for persona in run.personas:
            cited, notes = persona.footnoted()
            for texts in cited.values():
                for cited_text in texts:
                    text = cited_text.text
                    for mark in re.finditer(r"\[(\d+)\]", text):
                        note = notes[int(mark[1]) - 1]
                        for pattern, side in sides:
                            if not pattern.match(text, mark.end()):
                                continue
                            checked += 1
                            ok = {
                                "book": ", book " in note,
                                "segment": ", segment mean" in note or ", segment median" in note,
                                "other": re.search(r", segment \d+ (mean|median)", note),
                            }[side]
                            if not ok:
                                bad.append((run.label, text[: mark.end()][-60:], note))
                        said = "median" if _MEDIAN_BEFORE.search(text, 0, mark.start()) else None
                        said = "mean" if _MEAN_AFTER.match(text, mark.end()) else said
                        if said and (" mean:" in note or " median:" in note):
                            checked += 1
                            if f" {said}:" not in note:
                                bad.append((run.label, text[: mark.end()][-60:], note))
    assert checked > 2000
    assert not bad


_MEDIAN_BEFORE = re.compile(r"\bmedian [$]?[\d,.]+%?$")  # "median $738" just before the mark
_MEAN_AFTER = re.compile(r" on average\b")  # "22%[3] on average"
