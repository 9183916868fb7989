//! Q12: why is the loss lower when heads learn different things?

use super::{INSIDE_WITH_A_STEP, experiment_finished, experiment_losses, has_step};
use crate::learn::facts::Facts;
use crate::learn::say::{head, loss};
use crate::learn::{Lesson, Setup, Step};
use crate::tab::Tab;

pub static LESSON: Lesson = Lesson {
    number: 12,
    title: "Why different heads lower the loss",
    question: "Why does the loss become lower when several heads learn different things?",
    steps: &[
        Step {
            ask: "In the Inside tab, press Rank heads: it switches each head off in turn and measures how much the loss rises.",
            setup: INSIDE_WITH_A_STEP,
            highlight: &["head-importance-run"],
            done: |now, _| {
                has_step(now)
                    && now
                        .inside
                        .ranking
                        .as_ref()
                        .is_some_and(|r| r.done && !r.heads.is_empty())
            },
            explain: ranking,
        },
        Step {
            ask: "Run the heads experiment: 1, 4 and 8 heads at the same width, so the same parameters.",
            setup: &[
                Setup::Open(Tab::Experiments),
                Setup::Experiment {
                    choice: "heads",
                    steps: 30,
                },
            ],
            highlight: &["experiment-run"],
            done: |now, _| experiment_finished(now, "heads"),
            explain: |now, _| {
                format!(
                    "{} Same parameters, different split: several heads can attend to several places at once where one head must average them; that is what a gap between them measures.",
                    experiment_losses(now)
                )
            },
        },
    ],
    answer: "The loss is the model's average surprise at the next token, and each head can remove a different part of it: one predicts from the previous token, another from the same word earlier, another from the start of the line. Heads doing different jobs add up; two heads doing the same job are redundant, so training gains by pulling them apart. The ranking shows it: heads cost different amounts when switched off, some nearly nothing. In the toy the differences are a few hundredths of a nat; in large models a handful of heads matter a lot and many can be pruned.",
    instruments: &[],
};

fn ranking(now: &Facts, _: &Facts) -> String {
    let Some(r) = &now.inside.ranking else {
        return "The ranking measures every head once.".into();
    };
    let (Some(&(l, h, most)), Some(&(ll, lh, least))) = (r.heads.first(), r.heads.last()) else {
        return "No head measured yet.".into();
    };
    format!(
        "With every head the loss on the text is {}. Switching off {} raises it most, by {}; {} costs least, {}. The heads are not interchangeable: each removes a different part of the error.",
        loss(r.base_loss),
        head(l, h),
        loss(most),
        head(ll, lh),
        loss(least),
    )
}
