//! Q13: how many heads do production models use?

use glassbox_model::shapes::REAL_MODELS;

use crate::learn::facts::Facts;
use crate::learn::say::large_count;
use crate::learn::{Instrument, Lesson, Setup, Step};
use crate::tab::Tab;

pub static LESSON: Lesson = Lesson {
    number: 13,
    title: "How many heads real models use",
    question: "How many heads does a production LLM use?",
    steps: &[
        Step {
            ask: "Give your model GPT-2 small's shape in the table: width 768 and 12 heads.",
            setup: &[Setup::Open(Tab::Learn)],
            highlight: &["model-shapes-table"],
            done: |now, _| now.shapes.custom.width == 768 && now.shapes.custom.heads == 12,
            explain: |now, _| {
                let c = now.shapes.custom;
                format!(
                    "Each head is {} wide (768 / 12). Every GPT-2 size keeps heads 64 wide and adds heads as it widens: 12, 16, 20, 25.",
                    c.width / c.heads.max(1)
                )
            },
        },
        Step {
            ask: "Click Llama 3 70B's row.",
            setup: &[Setup::Open(Tab::Learn)],
            highlight: &["model-shapes-table"],
            done: |now, _| now.shapes.selected.is_some_and(|n| n.contains("70B")),
            explain: selected,
        },
    ],
    answer: "Typically 12 to 128 heads per block: GPT-2 small 12, GPT-2 XL 25, GPT-3 96, Llama 3 8B 32 and 70B 64, nearly always 64 or 128 wide. Newer models share keys and values between groups of query heads (grouped-query attention: Llama 3 has 8 key/value heads) to shrink the cache that inference keeps per token. The toy's 4 heads are enough to see heads specialise; how many a model needs was found by training many of them, which the tab cannot do at that scale.",
    instruments: &[Instrument::ModelShapes],
};

fn selected(now: &Facts, _: &Facts) -> String {
    let Some(s) = REAL_MODELS
        .iter()
        .find(|s| Some(s.name) == now.shapes.selected)
    else {
        return "Pick a row of the table.".into();
    };
    format!(
        "{} has {} query heads of width {} in each of its {} blocks, sharing {} key/value heads: {} parameters in all.",
        s.name,
        s.heads,
        s.head_width(),
        s.layers,
        s.kv_heads,
        large_count(s.param_counts().total()),
    )
}
