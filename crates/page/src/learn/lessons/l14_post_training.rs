//! Q14: is there post-training and fine-tuning before a model is put to work?

use super::{experiment_finished, greedy_from};
use crate::learn::say::{loss, quoted};
use crate::learn::{Lesson, Setup, Step};
use crate::tab::Tab;

pub static LESSON: Lesson = Lesson {
    number: 14,
    title: "Post-training",
    question: "Before an LLM starts working, is there a post-training and fine-tuning process?",
    steps: &[
        Step {
            ask: "Ask the pretrained model a question: press Step five times.",
            setup: &greedy_from("Q: Who loves Juliet?\nA:"),
            highlight: &["step-button"],
            done: |now, _| now.generation.steps >= 5,
            explain: |now, _| {
                format!(
                    "The pretrained model continues with {}: it imitates the text it learned from, it does not answer. Pretraining teaches the language, not the job.",
                    quoted(&now.generation.generated.concat())
                )
            },
        },
        Step {
            ask: "Run post-training: the shipped model is fine-tuned on a few question/answer pairs.",
            setup: &[
                Setup::Open(Tab::Experiments),
                Setup::Experiment {
                    choice: "post-training",
                    steps: 30,
                },
            ],
            highlight: &["experiment-run"],
            done: |now, _| experiment_finished(now, "post-training"),
            explain: |now, _| match now.experiment.pairs_loss {
                Some((before, after)) => format!(
                    "On the pairs, the loss went from {} to {}: the same weights, nudged by a few dozen steps on a few examples, now continue “Q: … A:” with answers. That is fine-tuning.",
                    loss(before),
                    loss(after)
                ),
                None => "The loss on the pairs appears when the run ends.".into(),
            },
        },
    ],
    answer: "Yes. A pretrained model only continues text. Post-training turns it into an assistant: supervised fine-tuning on curated prompts and answers, then preference tuning (RLHF, DPO) where people or reward models rank answers, plus safety training. It uses far less compute than pretraining but decides most of how the model behaves. The toy shows only the first idea, fine-tuning on a handful of pairs; it memorises them rather than learning to answer, which is what real post-training spends millions of examples to avoid.",
    instruments: &[],
};
