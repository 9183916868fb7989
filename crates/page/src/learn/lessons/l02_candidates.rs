//! Q2: does the model choose among candidates for the next token?

use glassbox_model::Strategy;

use super::{greedy_from, top};
use crate::learn::facts::Facts;
use crate::learn::say::{candidate, in_ten, percent, quoted};
use crate::learn::{Lesson, Setup, Step};

pub static LESSON: Lesson = Lesson {
    number: 2,
    title: "Candidates and decoding",
    question: "When the model produces a token, does it have several candidates to choose from?",
    steps: &[
        Step {
            ask: "Press Step once and read the candidate list: every token of the vocabulary gets a probability.",
            setup: &greedy_from("ROMEO:\nWhat say"),
            highlight: &["step-button", "candidates"],
            done: |now, _| now.generation.steps >= 1,
            explain: candidates,
        },
        Step {
            ask: "Sampling is on. Set the temperature to 1.5 (type it, then leave the field).",
            setup: &[Setup::Decoding {
                strategy: Strategy::Sample,
                temperature: 1.0,
                top_k: 0,
                top_p: 1.0,
            }],
            highlight: &["temperature-input"],
            done: |now, _| {
                now.generation.steps >= 1
                    && (now.generation.settings.temperature - 1.5).abs() < 0.05
            },
            explain: temperature,
        },
        Step {
            ask: "Set top-k to 5: only the five most likely tokens may be drawn.",
            setup: &[],
            highlight: &["top-k-input"],
            done: |now, _| now.generation.steps >= 1 && now.generation.settings.top_k == 5,
            explain: top_k,
        },
    ],
    answer: "Yes. Every step ends in one probability for every token of the vocabulary (a softmax over the logits), and decoding picks one: greedy takes the top, sampling draws from the distribution after temperature, top-k and top-p reshape it, beam search keeps several continuations and scores whole sequences (Inside → Beam search). The toy's vocabulary is its characters; GPT-2's has 50,257 tokens and Llama 3's 128,256, so real lists are longer and flatter, but the choice is made the same way.",
    instruments: &[],
};

fn candidates(now: &Facts, _: &Facts) -> String {
    let list = &now.generation.candidates;
    let (Some(first), Some(second)) = (list.first(), list.get(1)) else {
        return "The candidates appear after the first step.".into();
    };
    let shown: f32 = list.iter().map(|c| c.raw_prob).sum();
    format!(
        "The model scored all {} tokens. The top candidate {} has {}, the second {} has {}; the {} rows shown hold {} of the probability. Greedy decoding takes the first, every time.",
        now.model.as_ref().map_or(0, |m| m.vocab),
        quoted(&first.label),
        percent(first.raw_prob),
        quoted(&second.label),
        percent(second.raw_prob),
        list.len(),
        percent(shown),
    )
}

fn temperature(now: &Facts, _: &Facts) -> String {
    let Some(top) = top(now) else {
        return "Press Step first: the candidates show what the temperature does.".into();
    };
    let t = now.generation.settings.temperature;
    format!(
        "The top candidate {} had {} under the plain softmax; at temperature {t} it has {}, so sampling picks something else {}. Dividing the logits by a temperature above 1 flattens the distribution; below 1 sharpens it, and 0 is greedy.",
        quoted(&top.label),
        percent(top.raw_prob),
        percent(top.prob),
        in_ten(1.0 - top.prob),
    )
}

fn top_k(now: &Facts, _: &Facts) -> String {
    let Some(top) = top(now) else {
        return "Press Step first: the candidates show what top-k cuts.".into();
    };
    format!(
        "Now {} tokens can be drawn; the rest are struck out. Their probability goes back to the five kept, so the top candidate is now {} (it was {} at temperature 1 without the cut). Top-p does the same with a probability budget instead of a count.",
        now.generation.kept,
        candidate(top),
        percent(top.raw_prob),
    )
}
