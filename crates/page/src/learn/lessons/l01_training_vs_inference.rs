//! Q1: how does training differ from answering a prompt?

use super::{greedy_from, top};
use crate::learn::facts::Facts;
use crate::learn::say::{count, loss, percent, quoted};
use crate::learn::{Lesson, Setup, Step};
use crate::tab::Tab;

pub static LESSON: Lesson = Lesson {
    number: 1,
    title: "Training vs answering a prompt",
    question: "How does training a transformer differ from using it, when a prompt goes in and a reply comes out?",
    steps: &[
        Step {
            ask: "Press Step three times. Each press is one forward pass of the trained model: it reads the text so far and adds one token.",
            setup: &greedy_from("ROMEO:\n"),
            highlight: &["step-button"],
            done: |now, _| now.generation.steps >= 3,
            explain: inference,
        },
        Step {
            ask: "Now training: press Start training. A small model learns from random weights on Shakespeare; watch the loss for 30 steps.",
            setup: &[
                Setup::Open(Tab::Train),
                Setup::TrainPreset {
                    preset: "tiny",
                    steps: 60,
                },
            ],
            highlight: &["train-start"],
            done: |now, _| now.training.task.is_none() && now.training.steps_done >= 30,
            explain: training,
        },
    ],
    answer: "Both run the same forward pass. Training feeds whole sequences at once, predicts every position in parallel (the causal mask hides each position's future), measures the cross-entropy against the true next tokens and lets backpropagation and the optimizer change every weight. Answering a prompt runs the frozen weights once per new token and feeds each output back in, one token at a time; nothing is learned. The toy does both in this tab with thousands of parameters and minutes of training; a production model does the same arithmetic with billions of parameters, on thousands of GPUs for months, and answers with a key/value cache (as this one does) so each new token costs one position, not the whole text.",
    instruments: &[],
};

fn inference(now: &Facts, _: &Facts) -> String {
    let Some(top) = top(now) else {
        return "Each step will show the model's candidates for the next token.".into();
    };
    let generated: String = now.generation.generated.concat();
    let vocab = now.model.as_ref().map_or(0, |m| m.vocab);
    format!(
        "{} passes made {} tokens: {}. The last pass read {} tokens and gave every one of the {} tokens of its vocabulary a probability; greedy decoding kept the top one, {} at {}. The weights did not change: press Reset and the same prompt gives the same text.",
        now.generation.steps,
        now.generation.steps,
        quoted(&generated),
        now.generation.window,
        vocab,
        quoted(&top.label),
        percent(top.prob),
    )
}

fn training(now: &Facts, _: &Facts) -> String {
    let t = &now.training;
    let (Some(first), Some(last)) = (t.first_loss, t.last_loss) else {
        return "The loss chart fills in as the run trains.".into();
    };
    format!(
        "In {} steps the model saw {} tokens: each step reads {} sequences of {} tokens and predicts every position at once ({} predictions), compares them with the true next tokens (cross-entropy) and backpropagation adjusts all {} weights. The loss went from {} to {}. Inference made one token per pass; training learns from {} per step.",
        t.steps_done,
        count(t.steps_done * t.tokens_per_step),
        t.batch,
        t.context,
        count(t.tokens_per_step),
        count(t.params),
        loss(first),
        loss(last),
        count(t.tokens_per_step),
    )
}
