//! The Experiments view: pick a question (or two architectures), train the variants on the same
//! text, seed, optimiser and budget, and compare their curves, a table and a verdict computed from
//! the numbers.

use glassbox_model::Preset;
use glassbox_model::config::Activation;
use glassbox_model::train::experiment::{
    ExperimentKind, post_training_verdict, results_csv, verdict,
};
use leptos::html::Canvas;
use leptos::prelude::*;

use crate::components::common::{chart_effect, fit_to_parent};
use crate::draw::heatmap;
use crate::draw::loss_chart;
use crate::state::experiments::ExperimentState;
use glassbox_page::experiment::{ArchitectureForm, Choice};

#[component]
pub fn ExperimentsView() -> impl IntoView {
    view! {
        <main class="experiments">
            <ExperimentSetup />
            <ExperimentResults />
        </main>
    }
}

/// One model of a custom pair.
#[component]
fn CustomForm(side: usize) -> impl IntoView {
    let exp = expect_context::<ExperimentState>();
    let get = move |f: fn(&ArchitectureForm) -> String| {
        move || exp.custom.with(|c| f(if side == 0 { &c.0 } else { &c.1 }))
    };
    let set = move |apply: &dyn Fn(&mut ArchitectureForm)| {
        exp.custom
            .update(|c| apply(if side == 0 { &mut c.0 } else { &mut c.1 }))
    };
    let number = move |label: &'static str,
                       testid: &'static str,
                       read: fn(&ArchitectureForm) -> String,
                       write: fn(&mut ArchitectureForm, usize)| {
        view! {
            <label class="field">
                <span>{label}</span>
                <input type="number" min="1" data-testid=format!("{testid}-{}", if side == 0 { "a" } else { "b" })
                    prop:value=get(read)
                    on:change=move |ev| {
                        if let Ok(n) = event_target_value(&ev).parse::<usize>() {
                            set(&|f| write(f, n));
                        }
                    } />
            </label>
        }
    };
    view! {
        <fieldset class="controls">
            <legend>{if side == 0 { "Model A" } else { "Model B" }}</legend>
            {number("Blocks", "custom-layers", |f| f.layers.to_string(), |f, n| f.layers = n)}
            {number("Heads", "custom-heads", |f| f.heads.to_string(), |f, n| f.heads = n)}
            {number("Width", "custom-width", |f| f.width.to_string(), |f, n| f.width = n)}
            {number("Context", "custom-context", |f| f.context.to_string(), |f, n| f.context = n)}
            <label class="field">
                <span>"Activation"</span>
                <select on:change=move |ev| {
                    let activation = match event_target_value(&ev).as_str() {
                        "relu" => Activation::Relu,
                        "identity" => Activation::Identity,
                        _ => Activation::GeluTanh,
                    };
                    set(&|f| f.activation = activation);
                }>
                    <option value="gelu">"GELU"</option>
                    <option value="relu">"ReLU"</option>
                    <option value="identity">"none (identity)"</option>
                </select>
            </label>
            <label class="field">
                <span>"Attention in block 1 only"</span>
                <input type="checkbox" on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    set(&|f| f.first_block_attention = on);
                } />
            </label>
        </fieldset>
    }
}

/// The experiment, its budget and (for custom pairs and post-training) its inputs.
#[component]
fn ExperimentSetup() -> impl IntoView {
    let exp = expect_context::<ExperimentState>();
    view! {
        <section class="panel">
            <h2>"Experiments: answer “why?” by training"</h2>
            <p class="caption">
                "Each experiment trains two to four variants of the same small model that differ in one thing, on the same Shakespeare text with the same seed, optimiser and tokens per step, one after another in a background worker. Their validation-loss curves share the chart; the table and the verdict come from the numbers of this run, whatever they show. A short budget shows early learning; more steps show where each variant is heading."
            </p>
            <ExperimentChoice />
            <Show when=move || exp.choice.get() == Choice::PostTraining>
                <label class="field wide-text">
                    <span>"Question/answer pairs (lines “Q: …” then “A: …”; only characters of Shakespeare's text)"</span>
                    <textarea rows="7" data-testid="posttrain-pairs" prop:value=move || exp.pairs.get()
                        on:input=move |ev| exp.pairs.set(event_target_value(&ev))></textarea>
                </label>
                <p class="hint">"The shipped model continues training on your pairs (repeated to fill a few windows). The loss is measured on the pairs themselves, before and after; the model is asked your first question before and after."</p>
            </Show>
            <Show when=move || exp.choice.get() == Choice::Custom>
                <div class="row custom-pair">
                    <CustomForm side=0 />
                    <CustomForm side=1 />
                </div>
            </Show>
            <RunButtons />
        </section>
    }
}

#[component]
fn ExperimentChoice() -> impl IntoView {
    let exp = expect_context::<ExperimentState>();
    let running = move || exp.is_running();
    let choices = move || {
        ExperimentKind::ALL
            .into_iter()
            .map(Choice::Builtin)
            .chain([Choice::Custom, Choice::PostTraining])
            .map(|c| view! { <option value=c.value() selected=move || exp.choice.get() == c>{c.short_title()}</option> })
            .collect_view()
    };
    view! {
        <div class="row">
            <label class="field inline">
                <span>"Experiment"</span>
                <select data-testid="experiment-select" disabled=running
                    on:change=move |ev| exp.choice.set(Choice::from_value(&event_target_value(&ev)))>{choices}</select>
            </label>
            <p class="hint experiment-question" data-testid="experiment-question">{move || exp.choice.get().title()}</p>
            <Show when=move || exp.choice.get() != Choice::PostTraining>
            <label class="field inline">
                <span>"Base size"</span>
                <select data-testid="experiment-preset" disabled=running
                    on:change=move |ev| exp.preset.set(Preset::from_name(&event_target_value(&ev)).unwrap_or(Preset::Tiny))>
                    {Preset::ALL.map(|p| view! { <option value=p.name() selected=move || exp.preset.get() == p>{p.name()}</option> }).collect_view()}
                </select>
            </label>
            </Show>
            <label class="field inline">
                <span>"Steps per variant"</span>
                <input type="number" min="1" data-testid="experiment-steps" disabled=running
                    prop:value=move || exp.steps.get().to_string()
                    on:change=move |ev| exp.steps.set(event_target_value(&ev).parse().unwrap_or(200).max(1)) />
            </label>
        </div>
    }
}

#[component]
fn RunButtons() -> impl IntoView {
    let exp = expect_context::<ExperimentState>();
    let running = move || exp.is_running();
    let finished = move || exp.record.with(|r| r.as_ref().is_some_and(|r| r.finished));
    let progress = move || {
        let index = exp.current.get()?;
        exp.record.with(|r| {
            let r = r.as_ref()?;
            let v = r.variants.get(index)?;
            let step = v.record.as_ref().map_or(0, |r| r.steps_done());
            Some(format!(
                "training variant {} of {}: {} — step {step} of {}",
                index + 1,
                r.variants.len(),
                v.name,
                exp.steps.get()
            ))
        })
    };
    view! {
        <p class="actions">
            <button data-testid="experiment-run" disabled=running on:click=move |_| exp.run()>"Run the experiment"</button>
            <button class="secondary" data-testid="experiment-stop" disabled=move || !running() on:click=move |_| exp.stop()>"Stop"</button>
            <Show when=move || exp.can_continue()>
                <button class="secondary" data-testid="experiment-continue" on:click=move |_| exp.continue_run()>
                    {move || exp.record.with(|r| r.as_ref().map(|r| {
                        let left = r.variants.len() - r.next_unfinished().unwrap_or(r.variants.len());
                        format!("Continue ({left} of {} variants left)", r.variants.len())
                    }))}
                </button>
            </Show>
            <span class="hint" data-testid="experiment-progress">{move || progress().unwrap_or_else(|| {
                if finished() { "Finished.".into() } else { String::new() }
            })}</span>
        </p>
    }
}

/// The curves, the table, the verdict and the downloads.
#[component]
fn ExperimentResults() -> impl IntoView {
    let exp = expect_context::<ExperimentState>();
    let canvas = NodeRef::<Canvas>::new();
    let finished = move || exp.record.with(|r| r.as_ref().is_some_and(|r| r.finished));
    let is_post_training = move || {
        exp.record.with(|r| {
            r.as_ref()
                .is_some_and(|r| r.plan.first().is_some_and(|p| p.from_shipped))
        })
    };
    let the_verdict = move || {
        let results = exp.results();
        (!results.is_empty() && !is_post_training()).then(|| verdict(&results))
    };
    view! {
        <section class="panel">
            <h2>{move || exp.record.with(|r| r.as_ref().map_or("No experiment yet".to_string(), |r| r.title.clone()))}</h2>
            <ExperimentChart canvas=canvas />
            <table class="experiment-table" data-testid="experiment-table">
                <thead><tr><th>"variant"</th><th>"parameters"</th><th>"steps"</th><th>"training loss (last 10%)"</th><th>"validation loss"</th><th>"tokens/s"</th></tr></thead>
                <tbody><ResultRows /></tbody>
            </table>
            <p class="verdict" data-testid="experiment-verdict" data-finished=move || finished().to_string()>{the_verdict}</p>
            <PostTrainingResult />
            <div class="row-actions">
                <button class="small secondary" data-testid="experiment-csv" disabled=move || exp.record.with(Option::is_none)
                    on:click=move |_| crate::web::download::save_bytes(results_csv(&exp.results()).as_bytes(), "glassbox-experiment.csv")>"Table as CSV"</button>
                <button class="small secondary" data-testid="experiment-png" disabled=move || exp.record.with(Option::is_none)
                    on:click=move |_| if let Some(el) = canvas.get() { heatmap::save_png(&el, "glassbox-experiment.png") }>"Chart as PNG"</button>
            </div>
        </section>
    }
}

#[component]
fn ExperimentChart(canvas: NodeRef<Canvas>) -> impl IntoView {
    let exp = expect_context::<ExperimentState>();
    chart_effect(canvas, move |el| {
        exp.record.with(|record| {
            let runs: Vec<(String, &glassbox_model::train::run::RunRecord)> = record
                .iter()
                .flat_map(|r| r.variants.iter())
                .filter_map(|v| v.record.as_ref().map(|r| (v.name.clone(), r)))
                .collect();
            fit_to_parent(&el, 700, 320, if runs.is_empty() { 0 } else { 340 });
            if !runs.is_empty() {
                loss_chart::draw_experiment(&el, &runs);
            }
        });
    });
    view! {
        <canvas node_ref=canvas data-testid="experiment-chart" class="loss-chart"
            data-curves=move || exp.record.with(|r| r.as_ref().map_or(0, |r| r.variants.iter().filter(|v| v.record.is_some()).count()))></canvas>
    }
}

/// One row per variant.
#[component]
fn ResultRows() -> impl IntoView {
    let exp = expect_context::<ExperimentState>();
    move || {
        exp.record.with(|r| {
            r.iter()
                .flat_map(|r| r.variants.iter().enumerate())
                .map(|(i, v)| {
                    let result = v.result();
                    let colour = loss_chart::variant_colour(i);
                    let val = result.as_ref().and_then(|r| r.val_loss);
                    view! {
                        <tr data-testid="experiment-row" data-name=v.name.clone()
                            data-val-loss=val.map(|v| v.to_string())
                            data-params=result.as_ref().map(|r| r.params.to_string())
                            data-steps=result.as_ref().map(|r| r.steps.to_string())
                            data-tokens-per-s=result.as_ref().and_then(|r| r.tokens_per_s).map(|t| format!("{t:.0}"))>
                            <td><i class="swatch" style=format!("background: rgb({},{},{})", colour.0, colour.1, colour.2)></i>{v.name.clone()}
                                {v.diverged.then_some(" (diverged)")}</td>
                            <td class="num">{result.as_ref().map(|r| r.params.to_string())}</td>
                            <td class="num">{result.as_ref().map(|r| r.steps.to_string())}</td>
                            <td class="num">{result.as_ref().and_then(|r| r.train_loss).map(|l| format!("{l:.4}"))}</td>
                            <td class="num strong">{val.map(|l| format!("{l:.4}"))}</td>
                            <td class="num">{result.as_ref().and_then(|r| r.tokens_per_s).map(|t| format!("{t:.0}"))}</td>
                        </tr>
                    }
                })
                .collect_view()
        })
    }
}

/// Post-training's one variant: before and after.
#[component]
fn PostTrainingResult() -> impl IntoView {
    let exp = expect_context::<ExperimentState>();
    move || {
        exp.record.with(|r| {
            let r = r.as_ref()?;
            r.plan.first()?.from_shipped.then_some(())?;
            let run = r.variants.first()?.record.as_ref()?;
            let (first, last) = (run.samples.first()?, run.samples.last()?);
            Some(view! {
                <div class="post-training" data-testid="posttrain-result"
                    data-before=run.initial_val_loss.map(|l| l.to_string())
                    data-after=run.curve.iter().rev().find_map(|p| p.val_loss).map(|l| l.to_string())>
                    <p class="verdict" data-testid="posttrain-verdict">{post_training_verdict(run)}</p>
                    <div class="row">
                        <div><h3>"Before (step 0)"</h3><pre class="sample" data-testid="posttrain-sample-before">{first.text.clone()}</pre></div>
                        <div><h3>{format!("After (step {})", last.step)}</h3><pre class="sample" data-testid="posttrain-sample-after">{last.text.clone()}</pre></div>
                    </div>
                </div>
            })
        })
    }
}
