//! Q3: why stack many layers?

use super::{INSIDE_WITH_A_STEP, experiment_finished, experiment_losses, has_step};
use crate::learn::facts::Facts;
use crate::learn::say::{list, percent, quoted};
use crate::learn::{Lesson, Setup, Step};
use crate::tab::Tab;

pub static LESSON: Lesson = Lesson {
    number: 3,
    title: "Why many layers",
    question: "Why does a transformer stack many layers instead of one big one?",
    steps: &[
        Step {
            ask: "Run the depth experiment: models of 1, 2 and 4 blocks train on the same text, the same way.",
            setup: &[
                Setup::Open(Tab::Experiments),
                Setup::Experiment {
                    choice: "depth",
                    steps: 30,
                },
            ],
            highlight: &["experiment-run"],
            done: |now, _| experiment_finished(now, "depth"),
            explain: depth,
        },
        Step {
            ask: "Look at the logit lens in the Inside tab: it reads the model's guess for the next token after each block.",
            setup: INSIDE_WITH_A_STEP,
            highlight: &["logit-lens"],
            done: |now, _| has_step(now) && now.inside.lens.len() >= 2,
            explain: lens,
        },
    ],
    answer: "Each block reads the residual stream, adds what its attention and MLP compute, and hands it on, so later blocks can build on what earlier ones found: one block can look up the previous token, the next can use that to find where the same pair occurred before. The logit lens shows the guess being refined block by block. In the toy, a few dozen steps on a tiny model only hint at the trend (more blocks also mean more parameters here, and short runs are noisy); real models use 12 to over 100 blocks because the gains keep coming with scale, which a tab cannot show.",
    instruments: &[],
};

fn depth(now: &Facts, _: &Facts) -> String {
    format!(
        "{} Lower is better: the loss is the average surprise (cross-entropy, in nats) on text the models did not train on.",
        experiment_losses(now)
    )
}

fn lens(now: &Facts, _: &Facts) -> String {
    let rows = &now.inside.lens;
    if rows.is_empty() {
        return "The lens appears once the model has taken a step.".into();
    }
    let said: Vec<String> = rows
        .iter()
        .map(|r| {
            let at = if r.depth == 0 {
                "the embeddings".to_string()
            } else {
                format!("block {}", r.depth)
            };
            format!("after {at} {} ({})", quoted(&r.label), percent(r.prob))
        })
        .collect();
    format!(
        "The top guess {}. Each block rewrites the guess a little: depth is a chain of refinements, each working on what the one before produced.",
        list(&said)
    )
}
