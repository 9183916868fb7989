//! The Learn tab: fourteen lessons, one per question of the document Glassbox grew from. A lesson
//! is data (one file in `lessons/`): the question, 2–5 steps that set the views up, ask the
//! learner for one thing, notice it from the page's [`Facts`] and explain it from the live
//! numbers, then the answer. The app renders them and applies their setups; nothing here touches
//! the DOM.

pub mod facts;
pub mod lessons;
pub mod progress;
pub mod say;

use glassbox_model::Strategy;
use glassbox_model::train::tasks::ToyTask;

pub use facts::Facts;
pub use lessons::LESSONS;
pub use progress::{Place, Progress};

use crate::tab::Tab;

/// One question and the steps that answer it.
pub struct Lesson {
    /// Its number, 1-based, in the document's order.
    pub number: usize,
    /// A short title for the list.
    pub title: &'static str,
    /// The question in plain words.
    pub question: &'static str,
    /// What the learner does.
    pub steps: &'static [Step],
    /// The answer: what the toy shows, and what it does not.
    pub answer: &'static str,
    /// The instruments the Learn tab shows with the lesson.
    pub instruments: &'static [Instrument],
}

/// One thing to do, noticed when done and explained.
pub struct Step {
    /// What the lesson asks.
    pub ask: &'static str,
    /// What the lesson sets up when the step opens.
    pub setup: &'static [Setup],
    /// The controls to highlight (`data-testid`s).
    pub highlight: &'static [&'static str],
    /// Whether it is done: the facts now, and as they were when the step opened.
    pub done: fn(&Facts, &Facts) -> bool,
    /// What the learner sees, from the facts now (and at the step's start).
    pub explain: fn(&Facts, &Facts) -> String,
}

/// What a step sets up before asking.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Setup {
    /// Open a tab.
    Open(Tab),
    /// Start generation over from this prompt.
    Prompt(&'static str),
    /// Decoding settings (beam width and seed as they are).
    Decoding {
        /// How the next token is picked.
        strategy: Strategy,
        /// Temperature.
        temperature: f32,
        /// Top-k (0 = off).
        top_k: usize,
        /// Top-p (1 = off).
        top_p: f32,
    },
    /// Generate tokens until there are this many, so the Inside view has a step to look at.
    Generated(usize),
    /// Switch every head back on.
    AllHeadsOn,
    /// Choose an experiment (by its value) and its steps per variant.
    Experiment {
        /// "heads", "depth", "attention", "activation", "post-training".
        choice: &'static str,
        /// Steps per variant.
        steps: usize,
    },
    /// Train on a toy task with its own model and budget, from scratch.
    TrainTask(ToyTask),
    /// Train a preset from scratch on Shakespeare.
    TrainPreset {
        /// The preset's name.
        preset: &'static str,
        /// Steps in the run.
        steps: usize,
    },
}

/// A new instrument a lesson brings to the Learn tab.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Instrument {
    /// The table of real model shapes with live parameter counts.
    ModelShapes,
    /// The rank check of the heads' projections.
    HeadSplit,
}

/// Lesson `number` (1-based).
pub fn lesson(number: usize) -> Option<&'static Lesson> {
    LESSONS.iter().copied().find(|l| l.number == number)
}

/// The tab the page opens on: the one a link names; Learn for a lesson link and for a visit
/// with no query at all (a newcomer's, or a learner coming back to a bare address); otherwise
/// (a link to a backend, a prompt, a head) the Generate view the link describes.
pub fn first_tab(view: Option<Tab>, lesson: Option<Place>, bare_query: bool) -> Tab {
    match (view, lesson) {
        (Some(tab), _) => tab,
        (None, Some(_)) => Tab::Learn,
        (None, None) if bare_query => Tab::Learn,
        (None, None) => Tab::Generate,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_tab_is_what_the_link_names_or_learn_for_a_bare_address() {
        let place = Place::checked(7, Some(2)).ok();
        assert_eq!(first_tab(Some(Tab::Train), place, false), Tab::Train);
        assert_eq!(first_tab(None, place, false), Tab::Learn);
        assert_eq!(first_tab(None, None, true), Tab::Learn);
        assert_eq!(first_tab(None, None, false), Tab::Generate);
    }

    #[test]
    fn fourteen_lessons_in_order_each_with_two_to_five_steps() {
        assert_eq!(LESSONS.len(), 14);
        for (i, lesson) in LESSONS.iter().enumerate() {
            assert_eq!(lesson.number, i + 1);
            assert!(
                (2..=5).contains(&lesson.steps.len()),
                "lesson {}",
                lesson.number
            );
            assert!(lesson.question.ends_with('?'), "lesson {}", lesson.number);
            assert!(!lesson.answer.is_empty());
        }
        assert!(lesson(0).is_none() && lesson(15).is_none());
    }

    #[test]
    fn no_step_is_done_on_an_empty_page_and_every_explanation_reads_without_numbers() {
        let empty = Facts::default();
        for lesson in LESSONS {
            for (i, step) in lesson.steps.iter().enumerate() {
                assert!(
                    !(step.done)(&empty, &empty),
                    "lesson {} step {}",
                    lesson.number,
                    i + 1
                );
                let text = (step.explain)(&empty, &empty);
                assert!(!text.contains("NaN") && !text.is_empty());
            }
        }
    }
}
