//! Where the learner is and what they have done, kept across reloads (the app stores the JSON)
//! and shared by links (`?lesson=7&step=2`).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::learn::LESSONS;

/// A lesson and one of its steps, both 1-based as links write them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    /// The lesson's number.
    pub lesson: usize,
    /// The step's number within it.
    pub step: usize,
}

impl Place {
    /// The place a link names, or why it names none: a lesson that does not exist is refused,
    /// a step past the lesson's last is refused (no step given = the first).
    pub fn checked(lesson: usize, step: Option<usize>) -> Result<Place, String> {
        let steps = LESSONS
            .get(lesson.wrapping_sub(1))
            .map(|l| l.steps.len())
            .ok_or_else(|| {
                format!(
                    "the link's lesson {lesson} does not exist (there are lessons 1 to {})",
                    LESSONS.len()
                )
            })?;
        let step = step.unwrap_or(1);
        if step == 0 || step > steps {
            return Err(format!(
                "the link's step {step} does not exist (lesson {lesson} has steps 1 to {steps})"
            ));
        }
        Ok(Place { lesson, step })
    }

    /// The next step, or the next lesson's first; `None` after the last lesson.
    pub fn next(self) -> Option<Place> {
        Place::checked(self.lesson, Some(self.step + 1))
            .or_else(|_| Place::checked(self.lesson + 1, Some(1)))
            .ok()
    }
}

/// The learner's progress.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// The step open now, if a lesson is.
    pub current: Option<Place>,
    /// Steps done, by lesson.
    pub done: BTreeMap<usize, BTreeSet<usize>>,
}

impl Progress {
    /// Progress as stored; anything unreadable (an older layout, a hand edit) is a fresh start,
    /// and places that no longer exist are dropped.
    pub fn from_json(text: &str) -> Progress {
        let mut progress: Progress = serde_json::from_str(text).unwrap_or_default();
        progress.current = progress
            .current
            .and_then(|p| Place::checked(p.lesson, Some(p.step)).ok());
        progress.done.retain(|&lesson, steps| {
            steps.retain(|&s| Place::checked(lesson, Some(s)).is_ok());
            !steps.is_empty()
        });
        progress
    }

    /// As stored.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Marks `place` done.
    pub fn mark_done(&mut self, place: Place) {
        self.done
            .entry(place.lesson)
            .or_default()
            .insert(place.step);
    }

    /// Whether `place` is done.
    pub fn is_done(&self, place: Place) -> bool {
        self.done
            .get(&place.lesson)
            .is_some_and(|s| s.contains(&place.step))
    }

    /// The first step not done yet, in order (`None` once every step is).
    pub fn first_unfinished(&self) -> Option<Place> {
        std::iter::successors(Some(Place { lesson: 1, step: 1 }), |p| p.next())
            .find(|&p| !self.is_done(p))
    }

    /// Steps of lesson `number` done.
    pub fn steps_done(&self, number: usize) -> usize {
        self.done.get(&number).map_or(0, BTreeSet::len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_name_existing_places_only() {
        assert_eq!(Place::checked(7, Some(2)), Ok(Place { lesson: 7, step: 2 }));
        assert_eq!(Place::checked(7, None), Ok(Place { lesson: 7, step: 1 }));
        for (lesson, step) in [
            (0, None),
            (15, None),
            (usize::MAX, None),
            (1, Some(0)),
            (1, Some(99)),
        ] {
            let why = Place::checked(lesson, step).unwrap_err();
            assert!(why.contains("does not exist"), "{why}");
        }
    }

    #[test]
    fn next_walks_every_step_of_every_lesson_then_stops() {
        let mut place = Some(Place { lesson: 1, step: 1 });
        let mut visited = 0;
        while let Some(p) = place {
            visited += 1;
            place = p.next();
        }
        let total: usize = LESSONS.iter().map(|l| l.steps.len()).sum();
        assert_eq!(visited, total);
        let mut progress = Progress::default();
        assert_eq!(
            progress.first_unfinished(),
            Some(Place { lesson: 1, step: 1 })
        );
        progress.mark_done(Place { lesson: 1, step: 1 });
        progress.mark_done(Place { lesson: 1, step: 2 });
        assert_eq!(
            progress.first_unfinished(),
            Some(Place { lesson: 2, step: 1 })
        );
        let mut all = Some(Place { lesson: 1, step: 1 });
        while let Some(p) = all {
            progress.mark_done(p);
            all = p.next();
        }
        assert_eq!(progress.first_unfinished(), None);
    }

    #[test]
    fn progress_survives_a_round_trip_and_bad_storage_is_a_fresh_start() {
        let mut progress = Progress {
            current: Some(Place { lesson: 3, step: 2 }),
            ..Progress::default()
        };
        progress.mark_done(Place { lesson: 3, step: 1 });
        assert!(progress.is_done(Place { lesson: 3, step: 1 }));
        assert_eq!(Progress::from_json(&progress.to_json()), progress);
        assert_eq!(Progress::from_json("{not json"), Progress::default());
        let stale = r#"{"current":{"lesson":40,"step":1},"done":{"40":[1],"2":[1,9]}}"#;
        let read = Progress::from_json(stale);
        assert_eq!(read.current, None);
        assert_eq!(read.steps_done(2), 1);
        assert_eq!(read.steps_done(40), 0);
    }
}
