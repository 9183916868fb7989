//! Q11: do the heads' Q, K and V start random and become what they are through training?

use glassbox_model::train::tasks::ToyTask;

use crate::learn::facts::Facts;
use crate::learn::say::{head, list, loss, percent};
use crate::learn::{Lesson, Setup, Step};
use crate::tab::Tab;

pub static LESSON: Lesson = Lesson {
    number: 11,
    title: "How heads come to differ",
    question: "Do the heads' query, key and value matrices start random and become different only through training?",
    steps: &[
        Step {
            ask: "The Train tab is set to the induction task: ten random letters, written twice on each line. Press Start training.",
            setup: &[
                Setup::Open(Tab::Train),
                Setup::TrainTask(ToyTask::Induction),
            ],
            highlight: &["train-start", "train-task"],
            done: |now, _| {
                now.training.task == Some(ToyTask::Induction) && !now.training.diversity.is_empty()
            },
            explain: at_start,
        },
        Step {
            ask: "Let the run finish (the text here stays usable). Drag the snapshot scrubber to watch the heads' patterns change.",
            setup: &[],
            highlight: &["train-scrubber", "train-head-diversity"],
            done: |now, _| {
                now.training.task == Some(ToyTask::Induction) && now.training.phase == "finished"
            },
            explain: specialised,
        },
    ],
    answer: "Yes. Every head starts from small random weights, so at first they all attend almost evenly and alike. Backpropagation then pushes each head's query, key and value wherever lowering the loss pulls it; heads that start in slightly different places end up doing different jobs, because once one head does a job the loss gains little from a second doing the same. On this task, where every copy is exactly ten letters back, a head in the first block learns to look at what followed the earlier copy by position alone, within a hundred steps. In real text repeats come at any distance, and models grow a two-head circuit for it instead: a previous-token head, whose output lets an induction head in a later block find the earlier copy by its content. That circuit forms suddenly after a long plateau, far past this tab's budget; real models grow it on real text, among thousands of other circuits nobody has named.",
    instruments: &[],
};

fn at_start(now: &Facts, _: &Facts) -> String {
    let t = &now.training;
    let Some(first) = t.diversity.first() else {
        return "The first attention snapshot is taken at step 0.".into();
    };
    format!(
        "At the first snapshot the heads of a block differ by {:.2} on average (0 = the same pattern, 1 = disjoint): from random weights they attend almost evenly. The loss starts at {}.",
        first,
        t.first_loss.map_or("…".into(), loss),
    )
}

fn specialised(now: &Facts, _: &Facts) -> String {
    let t = &now.training;
    let (Some(first), Some(last)) = (t.diversity.first(), t.diversity.last()) else {
        return "The diversity curve fills in as the run trains.".into();
    };
    let named: Vec<String> = t
        .patterns
        .iter()
        .map(|p| {
            format!(
                "{} follows the {} pattern ({})",
                head(p.layer, p.head),
                p.pattern.label(),
                percent(p.score)
            )
        })
        .collect();
    let heads = if named.is_empty() {
        "The detector names no head yet: train longer, or with another seed.".to_string()
    } else {
        format!(
            "At step {} the detector finds: {}.",
            t.snapshot_step.unwrap_or(0),
            list(&named)
        )
    };
    format!(
        "After {} steps the heads differ by {last:.2} (they started at {first:.2}) and the loss fell to {}. {heads} No one told any head what to do: training alone pulled them apart.",
        t.steps_done,
        t.last_loss.map_or("…".into(), loss),
    )
}
