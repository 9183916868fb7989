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
use glassbox_model::train::experiment::NOTABLE_GAP;

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

/// "1 block (5,000 parameters): loss 2.310, … The lowest is …": each trained variant's final
/// loss, and whether the gap between them says anything at this budget (the Experiments view's
/// verdict draws the same line).
fn experiment_losses(f: &Facts) -> String {
    let finished: Vec<(&str, usize, f32)> = f
        .experiment
        .variants
        .iter()
        .filter_map(|v| v.final_loss.map(|l| (v.name.as_str(), v.params, l)))
        .collect();
    if finished.is_empty() {
        return "No variant has finished yet.".into();
    }
    let rows: Vec<String> = finished
        .iter()
        .map(|(name, params, l)| {
            format!("{name} ({} parameters): loss {}", count(*params), loss(*l))
        })
        .collect();
    let lowest = finished
        .iter()
        .min_by(|a, b| a.2.total_cmp(&b.2))
        .expect("not empty");
    let highest = finished
        .iter()
        .max_by(|a, b| a.2.total_cmp(&b.2))
        .expect("not empty");
    let gap = highest.2 - lowest.2;
    let verdict = if finished.len() < 2 {
        String::new()
    } else if gap < NOTABLE_GAP {
        " At this budget that is no clear difference: a short run shows early learning only. Raise Steps per variant (300 or more) and run it again to see where each is heading.".into()
    } else {
        format!(
            " The lowest is {}, {} nats below {}.",
            lowest.0,
            loss(gap),
            highest.0
        )
    };
    format!("{}.{verdict}", list(&rows))
}

/// The shown step's top candidate.
fn top(f: &Facts) -> Option<&CandidateFact> {
    f.generation.candidates.first()
}

/// The Inside view has a step to look at.
fn has_step(f: &Facts) -> bool {
    f.generation.steps > 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learn::facts::VariantFact;

    fn with_losses(losses: &[f32]) -> Facts {
        let mut f = Facts::default();
        f.experiment.variants = losses
            .iter()
            .enumerate()
            .map(|(i, &l)| VariantFact {
                name: format!("{} heads", i + 1),
                params: 1000,
                final_loss: Some(l),
            })
            .collect();
        f
    }

    #[test]
    fn experiment_losses_say_whether_the_gap_means_anything() {
        let even = experiment_losses(&with_losses(&[3.404, 3.402]));
        assert!(
            even.contains("loss 3.404") && even.contains("no clear difference"),
            "{even}"
        );
        let apart = experiment_losses(&with_losses(&[2.5, 2.2]));
        assert!(
            apart.ends_with("The lowest is 2 heads, 0.300 nats below 1 heads."),
            "{apart}"
        );
        assert_eq!(
            experiment_losses(&Facts::default()),
            "No variant has finished yet."
        );
    }
}
