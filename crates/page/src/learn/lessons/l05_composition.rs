//! Q5: are many layers a composed non-linear function from the prompt to the next token?

use super::{INSIDE_WITH_A_STEP, experiment_finished, experiment_losses, has_step};
use crate::learn::facts::Facts;
use crate::learn::say::{loss, percent};
use crate::learn::{Lesson, Setup, Step};
use crate::tab::Tab;

pub static LESSON: Lesson = Lesson {
    number: 5,
    title: "Depth as function composition",
    question: "Do many layers build one implicit non-linear function from the input to the next token, tuned to make the error small?",
    steps: &[
        Step {
            ask: "Run the activation experiment: the same model with GELU, with ReLU and with no non-linearity in its MLPs.",
            setup: &[
                Setup::Open(Tab::Experiments),
                Setup::Experiment {
                    choice: "activation",
                    steps: 30,
                },
            ],
            highlight: &["experiment-run"],
            done: |now, _| experiment_finished(now, "activation"),
            explain: activation,
        },
        Step {
            ask: "In the Inside tab, look at block 1's MLP: each dot is a unit, its input against its output.",
            setup: INSIDE_WITH_A_STEP,
            highlight: &["mlp-view"],
            done: |now, _| has_step(now) && now.inside.linear.is_some(),
            explain: units,
        },
    ],
    answer: "Yes: the whole model is one function from the tokens so far to a probability for each next token, built by composing blocks, each a small function of the residual stream, and training tunes all of them together to lower the cross-entropy. The non-linearities are what make the composition worth having: without them every block is linear and the whole stack collapses into one linear map, however deep. The toy's experiment shows the gap after a few dozen steps; in real models it is the difference between a language model and a bag of word statistics.",
    instruments: &[],
};

fn activation(now: &Facts, _: &Facts) -> String {
    let linear = now
        .experiment
        .variants
        .iter()
        .find(|v| {
            v.name.contains("none") || v.name.contains("identity") || v.name.contains("linear")
        })
        .and_then(|v| v.final_loss);
    let note = linear.map_or(String::new(), |l| {
        format!(" Without a non-linearity the loss is {}: a stack of linear maps is one linear map, so depth buys nothing.", loss(l))
    });
    format!("{}{note}", experiment_losses(now))
}

fn units(now: &Facts, _: &Facts) -> String {
    let Some(l) = &now.inside.linear else {
        return "The MLP view appears once the model has taken a step.".into();
    };
    format!(
        "In block {}, {} of the units pass their input through almost unchanged (the straight part of GELU); the rest bend it. That bend is what lets the composition of blocks be more than one linear map.",
        l.layer + 1,
        percent(l.identity_share),
    )
}
