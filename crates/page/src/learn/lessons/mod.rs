//! The lessons, one file each, in the order of the document's questions; and what several of
//! them ask or say alike (an experiment finished, its losses, the top candidate).

mod l01_training_vs_inference;
mod l02_candidates;
mod l03_why_layers;
mod l04_real_depth;
mod l05_composition;
mod l06_self_attention;
mod l07_multi_head;
mod l08_head_split;
mod l09_attention_everywhere;
mod l10_nonlinearity;
mod l11_heads_differ;
mod l12_heads_lower_loss;
mod l13_real_heads;
mod l14_post_training;

use glassbox_model::Strategy;

use crate::learn::facts::{CandidateFact, Facts};
use crate::learn::say::{count, list, loss};
use crate::learn::{Lesson, Setup};
use crate::tab::Tab;

/// Every lesson, in order.
pub static LESSONS: [&Lesson; 14] = [
    &l01_training_vs_inference::LESSON,
    &l02_candidates::LESSON,
    &l03_why_layers::LESSON,
    &l04_real_depth::LESSON,
    &l05_composition::LESSON,
    &l06_self_attention::LESSON,
    &l07_multi_head::LESSON,
    &l08_head_split::LESSON,
    &l09_attention_everywhere::LESSON,
    &l10_nonlinearity::LESSON,
    &l11_heads_differ::LESSON,
    &l12_heads_lower_loss::LESSON,
    &l13_real_heads::LESSON,
    &l14_post_training::LESSON,
];

/// The Inside tab with every head on and a step to look at.
const INSIDE_WITH_A_STEP: &[Setup] = &[
    Setup::AllHeadsOn,
    Setup::Generated(1),
    Setup::Open(Tab::Inside),
];

/// The Generate tab starting over from `prompt`, greedy, with every head on.
const fn greedy_from(prompt: &'static str) -> [Setup; 4] {
    [
        Setup::Open(Tab::Generate),
        Setup::Decoding {
            strategy: Strategy::Greedy,
            temperature: 1.0,
            top_k: 0,
            top_p: 1.0,
        },
        Setup::AllHeadsOn,
        Setup::Prompt(prompt),
    ]
}

/// The experiment `choice` has trained every variant.
fn experiment_finished(f: &Facts, choice: &str) -> bool {
    f.experiment.choice == choice && f.experiment.finished && !f.experiment.variants.is_empty()
}

/// "1 block (5,000 parameters): loss 2.310, …": each trained variant's final loss.
fn experiment_losses(f: &Facts) -> String {
    let rows: Vec<String> = f
        .experiment
        .variants
        .iter()
        .filter_map(|v| {
            v.final_loss.map(|l| {
                format!(
                    "{} ({} parameters): loss {}",
                    v.name,
                    count(v.params),
                    loss(l)
                )
            })
        })
        .collect();
    if rows.is_empty() {
        "No variant has finished yet.".into()
    } else {
        format!("{}.", list(&rows))
    }
}

/// The variant with the lowest final loss.
fn best_variant(f: &Facts) -> Option<(&str, f32)> {
    f.experiment
        .variants
        .iter()
        .filter_map(|v| v.final_loss.map(|l| (v.name.as_str(), l)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

/// The shown step's top candidate.
fn top(f: &Facts) -> Option<&CandidateFact> {
    f.generation.candidates.first()
}

/// The Inside view has a step to look at.
fn has_step(f: &Facts) -> bool {
    f.generation.steps > 0
}
