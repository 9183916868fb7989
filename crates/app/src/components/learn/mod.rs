//! The Learn tab (the list of lessons and the open lesson's instrument) and the open lesson's
//! panel, shown above whichever tab the lesson is driving. The lessons themselves are data
//! (`glassbox_page::learn::lessons`); this renders them.

mod head_split;
mod shapes;

use glassbox_page::learn::{Instrument, LESSONS, Place, lesson};
use leptos::prelude::*;

use crate::state::learn::LearnState;
use head_split::HeadSplitPanel;
use shapes::ModelShapesTable;

#[component]
pub fn LearnView() -> impl IntoView {
    let learn = expect_context::<LearnState>();
    // Re-rendered when another lesson opens, not at every step marked done.
    let open = Memo::new(move |_| learn.current().map(|(place, _, _)| place.lesson));
    let current = move || open.get().and_then(lesson).map(|l| l.instruments);
    view! {
        <main class="learn">
            <section class="panel lesson-list-panel">
                <h2>"How an LLM works, in fourteen questions"</h2>
                <p class="hint">
                    "Each lesson asks one question and answers it with something you do to the model in this tab: step through generation, switch heads off, train a small model, run an experiment. The lesson sets the other tabs up and tells you what the numbers you see mean. Your progress is kept in this browser; every step has a link you can share."
                </p>
                <ol class="lesson-list" data-testid="lesson-list">
                    {LESSONS.iter().map(|lesson| {
                        let number = lesson.number;
                        let steps = lesson.steps.len();
                        let done = move || learn.progress.with(|p| p.steps_done(number));
                        view! {
                            <li>
                                <button class="lesson-item" data-testid="lesson" data-lesson=number
                                    data-done=move || (done() == steps).to_string()
                                    class:current=move || learn.progress.with(|p| p.current.is_some_and(|c| c.lesson == number))
                                    on:click=move |_| learn.open(Place { lesson: number, step: 1 })>
                                    <span class="lesson-number">{number}</span>
                                    <span class="lesson-title">{lesson.title}</span>
                                    <span class="lesson-progress">{move || format!("{}/{steps}", done())}</span>
                                </button>
                            </li>
                        }
                    }).collect_view()}
                </ol>
            </section>
            {move || match current() {
                None => view! { <Start /> }.into_any(),
                Some(instruments) => view! {
                    <div class="column">
                        {instruments.iter().map(|i| match i {
                            Instrument::ModelShapes => view! { <ModelShapesTable /> }.into_any(),
                            Instrument::HeadSplit => view! { <HeadSplitPanel /> }.into_any(),
                        }).collect_view()}
                    </div>
                }.into_any(),
            }}
        </main>
    }
}

/// The open lesson: its question, its steps (done or not), what to do now, what the numbers say
/// once it is done, the next step, and the answer. The controls the step asks for are outlined.
#[component]
pub fn LessonPanel() -> impl IntoView {
    let learn = expect_context::<LearnState>();
    // Re-rendered when another step opens, not when this one is marked done.
    let open = Memo::new(move |_| learn.current().map(|(place, _, _)| place));
    move || {
        let place = open.get()?;
        let lesson = lesson(place.lesson)?;
        let step = lesson.steps.get(place.step - 1)?;
        let done = move || learn.progress.with(|p| p.is_done(place));
        let all_done = move || {
            learn
                .progress
                .with(|p| p.steps_done(lesson.number) == lesson.steps.len())
        };
        let highlight = move || {
            if done() || learn.preparing.get() {
                return String::new();
            }
            step.highlight
                .iter()
                .map(|id| format!("[data-testid=\"{id}\"]{{outline:3px solid var(--highlight);outline-offset:2px;}}"))
                .collect()
        };
        let next_label = match place.next() {
            Some(next) if next.lesson == place.lesson => "Next step",
            Some(_) => "Next lesson",
            None => "Finish",
        };
        let link = format!("?lesson={}&step={}", place.lesson, place.step);
        Some(view! {
            <section class="panel lesson-panel" data-testid="lesson-panel" data-lesson=place.lesson
                aria-label=format!("Lesson {}", place.lesson)>
                <style>{highlight}</style>
                <div class="lesson-head">
                    <span class="lesson-number">{format!("Lesson {} of {}", place.lesson, LESSONS.len())}</span>
                    <h2>{lesson.title}</h2>
                    <a class="lesson-link" href=link data-testid="lesson-link" title="A link to this step, to share">"link"</a>
                    <button class="small secondary" data-testid="lesson-close" aria-label="Close the lesson"
                        title="Close the lesson (your progress stays)" on:click=move |_| learn.close()>"×"</button>
                </div>
                <p class="lesson-question">{lesson.question}</p>
                <ol class="lesson-steps">
                    {lesson.steps.iter().enumerate().map(|(i, s)| {
                        let here = Place { lesson: place.lesson, step: i + 1 };
                        view! {
                            <li>
                                <button class="lesson-step" data-testid="lesson-step" data-step=i + 1
                                    data-done=move || learn.progress.with(|p| p.is_done(here)).to_string()
                                    class:current=here == place
                                    aria-current=(here == place).then_some("step")
                                    title=s.ask
                                    on:click=move |_| learn.open(here)>
                                    {move || if learn.progress.with(|p| p.is_done(here)) { format!("✓ {}", i + 1) } else { (i + 1).to_string() }}
                                </button>
                            </li>
                        }
                    }).collect_view()}
                </ol>
                <p class="lesson-ask" data-testid="lesson-ask" data-preparing=move || learn.preparing.get().to_string()>
                    {move || if learn.preparing.get() { "Setting the views up…".to_string() } else { step.ask.to_string() }}
                </p>
                <Show when=done>
                    <p class="lesson-explanation" data-testid="lesson-explanation" role="status">
                        {move || learn.explanation().unwrap_or_default()}
                    </p>
                </Show>
                <div class="buttons">
                    <button data-testid="lesson-next" disabled=move || !done() on:click=move |_| learn.next()>{next_label}</button>
                    <Show when=move || !done()>
                        <span class="hint">"Waiting for you to do it…"</span>
                    </Show>
                </div>
                <details class="lesson-answer" data-testid="lesson-answer" prop:open=all_done>
                    <summary>"The answer"</summary>
                    <p>{lesson.answer}</p>
                </details>
            </section>
        })
    }
}

/// With no lesson open: where to begin, or where the learner left off.
#[component]
fn Start() -> impl IntoView {
    let learn = expect_context::<LearnState>();
    let next = move || learn.progress.with(|p| p.first_unfinished());
    view! {
        <section class="panel lesson-intro" data-testid="lesson-intro">
            <h2>"Start here"</h2>
            <p>"A language model reads text and gives every possible next token a probability, then picks one and repeats. The lessons open it up one question at a time, in the order a curious person asks them: what a step computes, how the choice is made, why there are many layers and heads, and how training makes them what they are. Each takes a few minutes; the ones that train a model run it in the background, so you can keep reading."</p>
            <div class="buttons">
                {move || match next() {
                    Some(place) => view! {
                        <button data-testid="lesson-start" on:click=move |_| learn.open(place)>
                            {if place == (Place { lesson: 1, step: 1 }) { "Start lesson 1".to_string() } else { format!("Continue: lesson {}, step {}", place.lesson, place.step) }}
                        </button>
                    }.into_any(),
                    None => view! { <span class="hint">"Every lesson is done: open any of them again from the list."</span> }.into_any(),
                }}
            </div>
        </section>
    }
}
