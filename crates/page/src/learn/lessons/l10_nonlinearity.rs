//! Q10: is the non-linearity captured by the feed-forward layers (FFN/MLP) together?

use glassbox_model::Strategy;

use super::{INSIDE_WITH_A_STEP, has_step, top};
use crate::learn::facts::Facts;
use crate::learn::say::{loss, percent, quoted};
use crate::learn::{Lesson, Setup, Step};
use crate::tab::Tab;

pub static LESSON: Lesson = Lesson {
    number: 10,
    title: "Where the non-linearity lives",
    question: "Is the non-linearity between input and output captured by the feed-forward (MLP) layers together?",
    steps: &[
        Step {
            ask: "In the Inside tab's MLP view, see what happens when block 1's MLP is replaced by its best straight-line fit.",
            setup: INSIDE_WITH_A_STEP,
            highlight: &["mlp-view", "mlp-linear-kl"],
            done: |now, _| has_step(now) && now.inside.linear.is_some(),
            explain: linearised,
        },
        Step {
            ask: "The softmax is non-linear too. With sampling on, set the temperature to 0.5 and compare each candidate's raw and tempered probability.",
            setup: &[
                Setup::Open(Tab::Generate),
                Setup::AllHeadsOn,
                Setup::Decoding {
                    strategy: Strategy::Sample,
                    temperature: 1.0,
                    top_k: 0,
                    top_p: 1.0,
                },
                Setup::Generated(1),
            ],
            highlight: &["temperature-input", "candidates"],
            done: |now, _| {
                now.generation.steps >= 1
                    && (now.generation.settings.temperature - 0.5).abs() < 0.05
            },
            explain: softmax,
        },
    ],
    answer: "Mostly, but not only. The MLPs' activation (GELU here) is the main elementwise non-linearity, and the MLPs hold two thirds of a block's parameters. But attention is non-linear as well (its weights are a softmax of products of the input with itself), LayerNorm divides by the input's own spread, and the final softmax turns scores into probabilities. The toy lets you linearise one MLP and see the prediction move; it cannot linearise attention or LayerNorm, which in real models matter just as much.",
    instruments: &[],
};

fn linearised(now: &Facts, _: &Facts) -> String {
    let Some(l) = &now.inside.linear else {
        return "The MLP view appears once the model has taken a step.".into();
    };
    let moved = if l.top == l.linear_top {
        format!("the top token stays {}", quoted(&l.top))
    } else {
        format!(
            "the top token changes from {} to {}",
            quoted(&l.top),
            quoted(&l.linear_top)
        )
    };
    format!(
        "With block {}'s MLP made linear, the next-token distribution moves by KL {} nats and {moved}. {} of its units act nearly linearly here; the rest carry the bend that was lost.",
        l.layer + 1,
        loss(l.kl),
        percent(l.identity_share),
    )
}

fn softmax(now: &Facts, _: &Facts) -> String {
    let (Some(first), Some(second)) = (top(now), now.generation.candidates.get(1)) else {
        return "Press Step: the candidates show what the softmax does.".into();
    };
    format!(
        "Halving the temperature doubles every gap between logits. The top candidate {} goes from {} to {}, the second {} from {} to {}: not in proportion, because the softmax exponentiates. Even the last step of the model is non-linear.",
        quoted(&first.label),
        percent(first.raw_prob),
        percent(first.prob),
        quoted(&second.label),
        percent(second.raw_prob),
        percent(second.prob),
    )
}
