"""The Customer page under AppTest: a customer of the bundled sample by id, an unknown id, typed
figures.

The sample is segmented with K-Means at k=3, what the app's automatic k chooses on it (see
test_app.py), set before the first run: the same segments without the seconds of choosing k.
"""

from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest

from testkit.paths import APP

TITLES = {"The Dormant Account", "The Everyday Card User", "The Stretched Borrower"}


def customer_page() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.session_state["k"] = 3
    at.switch_page("card_segmenter/app/pages/customer.py")
    return at.run()


def shown(markdown: str) -> str:
    """Markdown as it reads on screen: the app escapes every character of data text."""
    return re.sub(r"\\(.)", r"\1", markdown)


def texts(at: AppTest, kind: str) -> list[str]:
    return [shown(str(element.value)) for element in at.get(kind)]


def test_a_sample_customer_by_id_gets_segment_persona_confidence_and_runner_up() -> None:
    at = customer_page()
    assert not at.exception
    assert any("Enter a customer id" in c for c in texts(at, "caption"))
    at.text_input(key="customer_id").set_value(" c10001 ").run()
    assert not at.exception
    assert not at.warning
    headings = [m.removeprefix("#### ") for m in texts(at, "markdown") if m.startswith("#### ")]
    assert len(headings) == 1
    assert headings[0] in TITLES
    assert any(re.match(r"Customer C10001 · segment \d: .+ · Narratives: rule-based$", c)
               for c in texts(at, "caption"))  # fmt: skip
    sentence = re.compile(
        r"A (clear|fair|borderline) fit.*: confidence 0\.\d\d, on a scale from 0\.5 .* "
        r"Runner-up: segment \d, .+ \((The .+)\)\.$"
    )
    said = [m for t in texts(at, "markdown") if (m := sentence.match(t))]
    assert len(said) == 1
    assert said[0][2] in TITLES - {headings[0]}
    table = at.dataframe[0].value
    assert list(table.columns[:4]) == ["Figure", "Customer", "Segment", "Book"]
    assert table["Segment is"][0] in ("high", "low")  # what sets it apart comes first
    assert any(c.startswith("An indication from this customer's own figures")
               for c in texts(at, "caption"))  # fmt: skip


def test_an_unknown_id_is_one_sentence_and_the_app_keeps_running() -> None:
    at = customer_page()
    at.text_input(key="customer_id").set_value("C99999").run()
    assert not at.exception
    assert texts(at, "warning") == [
        "No customer C99999 in sample_customers.csv: none of its 8,950 customer ids matches, "
        "even ignoring case and spaces; its ids look like C10001."
    ]
    at.text_input(key="customer_id").set_value("C10002").run()
    assert not at.warning
    assert any(c.startswith("Customer C10002 · segment") for c in texts(at, "caption"))


def test_typed_figures_get_a_segment() -> None:
    at = customer_page()
    at.number_input(key="typed_CASH_ADVANCE").set_value(3000.0)
    at.number_input(key="typed_CASH_ADVANCE_FREQUENCY").set_value(0.6)
    at.button(key="typed_lookup").click().run()
    assert not at.exception
    assert any(re.match(r"Typed figures · segment \d: ", c) for c in texts(at, "caption"))
    headings = [m.removeprefix("#### ") for m in texts(at, "markdown") if m.startswith("#### ")]
    assert headings == ["The Stretched Borrower"]
    # Cash advances in 60% of months: the customer's own figures show strain.
    assert any("own figures show strain" in w for w in texts(at, "warning"))


def test_a_move_to_another_segment_is_said_in_words_and_figures() -> None:
    at = customer_page()
    at.text_input(key="customer_id").set_value("C10002").run()
    assert at.selectbox(key="move_target").value is None
    current = next(c for c in texts(at, "caption") if c.startswith("Customer C10002 · segment"))
    own = re.search(r"segment (\d):", current)
    assert own is not None
    options = at.selectbox(key="move_target").options
    assert len(options) == 2  # the other two segments of three
    assert not any(o.startswith(f"{own[1]}:") for o in options)
    moves = 0
    for option in options:
        at.selectbox(key="move_target").set_value(option).run()
        assert not at.exception
        target = option.split(":")[0]
        refused = [i for i in texts(at, "info") if i.startswith("No change the customer can")]
        assert len(at.success) + len(refused) == 1
        if at.success:  # a move: its sentence, the model's answer and the changed figures
            moves += 1
            assert texts(at, "success")[0].endswith(".")
            placed = f"With these figures the model places them in segment {target},"
            assert any(c.startswith(placed) for c in texts(at, "caption"))
            table = at.dataframe[-1].value  # the last table on the page
            assert list(table.columns) == ["Figure", "Now", "After the move"]
            assert len(table) >= 1
            assert (table["Now"] != table["After the move"]).all()
        note = "What the segmentation model responds to, not advice"
        assert any(c.startswith(note) for c in texts(at, "caption"))
    assert moves >= 1
