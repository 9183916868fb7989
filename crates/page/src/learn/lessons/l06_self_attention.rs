//! Q6: what is self-attention for?

use crate::learn::facts::{AttentionFacts, Facts};
use crate::learn::say::{head, percent, quoted};
use crate::learn::{Lesson, Setup, Step};
use crate::tab::Tab;

pub static LESSON: Lesson = Lesson {
    number: 6,
    title: "What self-attention is for",
    question: "What is self-attention for?",
    steps: &[
        Step {
            ask: "Press Step once, then look at the large attention map: each row is a token, each column a token it can look at.",
            setup: &[
                Setup::Open(Tab::Generate),
                Setup::AllHeadsOn,
                Setup::Prompt("JULIET:\nO Romeo, Romeo! wherefore art thou R"),
            ],
            highlight: &["step-button", "attention-detail"],
            done: |now, _| now.generation.steps >= 1 && now.attention.is_some(),
            explain: strongest,
        },
        Step {
            ask: "Click another head's thumbnail in the grid to show it large.",
            setup: &[],
            highlight: &["attention-grid"],
            done: |now, start| {
                now.attention.as_ref().map(|a| a.primary)
                    != start.attention.as_ref().map(|a| a.primary)
                    && now.attention.is_some()
                    && start.attention.is_some()
            },
            explain: strongest,
        },
    ],
    answer: "Self-attention is how one position reads the others. Each token asks a question (its query), every earlier token offers a key, and the weights, a softmax over how well they match, decide how much of each earlier token's value flows into this position. Without it each token would be predicted from itself alone; with it the model can copy a name from earlier in the text, close a quote, or agree a verb with its subject. The toy's heads learn simple lookups (the previous character, the start of a word); large models learn thousands of such lookups over thousands of tokens.",
    instruments: &[],
};

/// Where the large view's head looks from the last token.
fn strongest(now: &Facts, _: &Facts) -> String {
    let Some(a) = &now.attention else {
        return "The attention maps appear after the first step.".into();
    };
    let Some(focus) = focused(a) else {
        return format!(
            "{} is a layer's mean: click a single head to read one.",
            a.primary.label()
        );
    };
    format!(
        "To pick the next token after {}, head {} puts {} of its attention on {} at position {}. That earlier token's value is what this head carries forward; the other columns get the rest.",
        quoted(&a.query),
        head(a.layer, focus.head),
        percent(focus.weight),
        quoted(&focus.key),
        focus.position + 1,
    )
}

fn focused(a: &AttentionFacts) -> Option<&crate::learn::facts::HeadFocus> {
    match a.primary {
        glassbox_model::HeadView::Head { head, .. } => a.heads.iter().find(|h| h.head == head),
        glassbox_model::HeadView::LayerMean { .. } => None,
    }
}
