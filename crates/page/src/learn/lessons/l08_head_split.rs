//! Q8: do we lose information by splitting attention into heads?

use crate::learn::facts::Facts;
use crate::learn::say::{large_count, list};
use crate::learn::{Instrument, Lesson, Setup, Step};
use crate::tab::Tab;

pub static LESSON: Lesson = Lesson {
    number: 8,
    title: "Does splitting into heads lose information?",
    question: "Do we lose information when attention is split into small heads?",
    steps: &[
        Step {
            ask: "Press Check the ranks: it measures how much of the input each head's projection can see, on the open model's own weights.",
            setup: &[Setup::Open(Tab::Learn)],
            highlight: &["head-split-run"],
            done: |now, _| now.head_split.is_some(),
            explain: ranks,
        },
        Step {
            ask: "In the table of model shapes, set your model's heads to 1: one head as wide as the model.",
            setup: &[Setup::Open(Tab::Learn)],
            highlight: &["model-shapes-table"],
            done: |now, start| now.shapes.custom.heads == 1 && start.shapes.custom.heads != 1,
            explain: same_count,
        },
    ],
    answer: "No: splitting is not cutting the input into pieces. Every head's query, key and value are computed from the whole residual stream; the split is of the projections' outputs, so each head looks at all of the input through its own narrower window, and the h windows together span as much as one wide head (the ranks add up to the full rank) with exactly the same parameters. What changes is that h heads can attend to h different places, where one wide head would have to average them. Real models keep heads 64–128 wide and add more heads as they widen. The Experiments tab's heads experiment trains 1, 4 and 8 heads at the same width to compare their loss.",
    instruments: &[Instrument::HeadSplit, Instrument::ModelShapes],
};

fn ranks(now: &Facts, _: &Facts) -> String {
    let Some(s) = &now.head_split else {
        return "The check reads the open model's attention weights.".into();
    };
    let per_head = list(&s.per_head.iter().map(usize::to_string).collect::<Vec<_>>());
    format!(
        "Block 1's query projection is {w}×{w} with rank {}. Each of the {} heads reads the whole input through its own {w}×{} slice, of rank {per_head}; together that is {}, the full rank again. In {} of {} blocks the heads' query, key and value slices add up to the whole projection: nothing of the input is lost, each head just looks at all of it through its own {}-dimensional window.",
        s.full,
        s.heads,
        s.head_width,
        s.together,
        s.blocks_whole,
        s.blocks,
        s.head_width,
        w = s.width,
    )
}

fn same_count(now: &Facts, start: &Facts) -> String {
    let [.., total] = now.shapes.custom_params;
    let [.., before] = start.shapes.custom_params;
    let c = now.shapes.custom;
    let verdict = if (total - before).abs() < 0.5 {
        "exactly the same"
    } else {
        "a different count (the width or layers changed too)"
    };
    format!(
        "With 1 head of width {} your model has {} parameters; with {} heads it had {}: {verdict}. Splitting reshapes the projections into heads, it does not shrink them.",
        c.width,
        large_count(total),
        start.shapes.custom.heads,
        large_count(before),
    )
}
