//! Q7: what is multi-head attention?

use super::INSIDE_WITH_A_STEP;
use crate::learn::facts::Facts;
use crate::learn::say::{candidate, head, list, loss, percent, quoted};
use crate::learn::{Lesson, Setup, Step};
use crate::tab::Tab;

pub static LESSON: Lesson = Lesson {
    number: 7,
    title: "Multi-head attention",
    question: "Then what is multi-head attention?",
    steps: &[
        Step {
            ask: "Press Step, then turn on Compare to see two heads of the same block side by side.",
            setup: &[
                Setup::Open(Tab::Generate),
                Setup::AllHeadsOn,
                Setup::Prompt("JULIET:\nO Romeo, Romeo! wherefore art thou R"),
            ],
            highlight: &["step-button", "compare-toggle"],
            done: |now, _| {
                now.generation.steps >= 1 && now.attention.as_ref().is_some_and(|a| a.compare)
            },
            explain: heads_of_a_layer,
        },
        Step {
            ask: "In the Inside tab's head ablation grid, press “only” on one head: every other head is switched off.",
            setup: INSIDE_WITH_A_STEP,
            highlight: &["head-ablation"],
            done: |now, _| {
                let total = now.model.as_ref().map_or(0, |m| m.layers * m.heads);
                total > 1
                    && now.inside.heads_off.len() + 1 == total
                    && now.inside.ablation_top.is_some()
            },
            explain: one_head,
        },
    ],
    answer: "Multi-head attention runs several attentions side by side in each block. The residual stream is projected into h smaller queries, keys and values (width / h each), each head computes its own weights and reads its own mix of earlier tokens, and an output projection adds the h results back into the stream. One head can follow the previous token while another finds the start of the line. The toy has 4 heads per block; GPT-2 small 12, GPT-3 96, all doing this at once in every block.",
    instruments: &[],
};

fn heads_of_a_layer(now: &Facts, _: &Facts) -> String {
    let Some(a) = &now.attention else {
        return "The attention maps appear after the first step.".into();
    };
    let looks: Vec<String> = a
        .heads
        .iter()
        .map(|h| {
            format!(
                "{} on {} ({})",
                head(a.layer, h.head),
                quoted(&h.key),
                percent(h.weight)
            )
        })
        .collect();
    format!(
        "From {}, the {} heads of block {} look at different tokens: {}. Each head has its own query, key and value projections, so each reads its own part of the context; their outputs are put side by side and mixed back into the stream.",
        quoted(&a.query),
        a.heads.len(),
        a.layer + 1,
        list(&looks),
    )
}

fn one_head(now: &Facts, _: &Facts) -> String {
    let Some((with, without)) = &now.inside.ablation_top else {
        return "Switch heads off in the ablation grid to see the next token change.".into();
    };
    let kl = now
        .inside
        .ablation_kl
        .map_or(String::new(), |kl| format!(" (KL {} nats)", loss(kl)));
    format!(
        "With every head the top next token is {}; with one head left it is {}{kl}. One head alone carries only part of what the heads do together.",
        candidate(with),
        candidate(without),
    )
}
