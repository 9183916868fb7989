//! Q9: why attention in every block and not only in the first?

use super::{INSIDE_WITH_A_STEP, experiment_finished, experiment_losses};
use crate::learn::facts::Facts;
use crate::learn::say::{candidate, head, list, loss};
use crate::learn::{Lesson, Setup, Step};
use crate::tab::Tab;

pub static LESSON: Lesson = Lesson {
    number: 9,
    title: "Attention in every layer",
    question: "Why does every block have self-attention, and not only the first?",
    steps: &[
        Step {
            ask: "Run the attention experiment: attention in every block, against attention in the first block only (the others keep their MLP).",
            setup: &[
                Setup::Open(Tab::Experiments),
                Setup::Experiment {
                    choice: "attention",
                    steps: 30,
                },
            ],
            highlight: &["experiment-run"],
            done: |now, _| experiment_finished(now, "attention"),
            explain: |now, _| {
                format!(
                    "{} A block without attention can only transform each position on its own; it cannot look up anything that an earlier block's output made findable.",
                    experiment_losses(now)
                )
            },
        },
        Step {
            ask: "In the Inside tab, switch off a head in block 2 or later (click it in the ablation grid) and watch the next token.",
            setup: INSIDE_WITH_A_STEP,
            highlight: &["head-ablation"],
            done: |now, _| {
                now.inside.heads_off.iter().any(|&(layer, _)| layer >= 1)
                    && now.inside.ablation_top.is_some()
            },
            explain: late_head,
        },
    ],
    answer: "Attention in the first block can only look up the raw tokens. Later blocks attend over a stream that earlier blocks have already enriched (this position follows a name, that one opens a quote), so they can do lookups of lookups: find the earlier copy of the current token, then read what came after it (an induction head needs two blocks). Taking attention out of the later blocks takes those away, and the loss shows it. In the toy the gap after 30 steps is small and noisy; in real models removing attention from most blocks is never done because every block's attention is used.",
    instruments: &[],
};

fn late_head(now: &Facts, _: &Facts) -> String {
    let Some((with, without)) = &now.inside.ablation_top else {
        return "Switch a head off to see the next token change.".into();
    };
    let off: Vec<String> = now
        .inside
        .heads_off
        .iter()
        .map(|&(l, h)| head(l, h))
        .collect();
    let kl = now
        .inside
        .ablation_kl
        .map_or(String::new(), |kl| format!(", KL {} nats", loss(kl)));
    format!(
        "Without {} the top next token goes from {} to {}{kl}. A late head reads what the early blocks wrote into the stream: switching it off changes the answer even though block 1's attention is untouched.",
        list(&off),
        candidate(with),
        candidate(without),
    )
}
