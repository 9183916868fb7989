//! The Train view: settings, the run's buttons, live numbers, the loss curves, samples, and the
//! attention of a probe sentence as the weights change (with a scrubber over saved snapshots).

use glassbox_model::HeadView;
use glassbox_model::Preset;
use glassbox_model::train::run::RunRecord;
use leptos::html::Canvas;
use leptos::prelude::*;

use crate::components::attention::{draw_grid, grid_canvases, grid_view};
use crate::draw::heatmap::{self, Scale};
use crate::draw::loss_chart::{self, PlotArea};
use crate::state::AppState;
use crate::state::train::{CorpusChoice, Phase, StartFrom, TrainForm, TrainState};

#[component]
pub fn TrainView() -> impl IntoView {
    view! {
        <main class="trainbench" data-testid="train-view">
            <div class="column left">
                <RunSetup />
                <Corpus />
            </div>
            <div class="column wide">
                <RunControls />
                <LossPanel />
                <SamplePanel />
            </div>
            <div class="column right">
                <ProbeAttention />
            </div>
        </main>
    }
}

fn parse<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("`{text}` is not {what}"))
}

/// A numeric setting; a value it cannot parse leaves the setting alone and says why.
#[component]
fn FormField(
    label: &'static str,
    testid: &'static str,
    tip: &'static str,
    get: fn(&TrainForm) -> String,
    set: fn(TrainState, &str) -> Result<(), String>,
    #[prop(optional, into)] disabled: Option<Signal<bool>>,
) -> impl IntoView {
    let train = expect_context::<TrainState>();
    let app = expect_context::<AppState>();
    view! {
        <label class="field" title=tip>
            <span>{label}</span>
            <input type="number" data-testid=testid step="any"
                prop:value=move || train.form.with(get)
                disabled=move || disabled.is_some_and(|d| d.get())
                on:change=move |ev| {
                    match set(train, &event_target_value(&ev)) {
                        Ok(()) => app.error.set(None),
                        Err(msg) => app.error.set(Some(format!("{label}: {msg}"))),
                    }
                } />
        </label>
    }
}

/// Sets a whole-number setting of the form.
fn set_whole(
    train: TrainState,
    text: &str,
    apply: fn(&mut TrainForm, usize),
) -> Result<(), String> {
    let n = parse(text, "a whole number")?;
    train.form.update(|f| apply(f, n));
    Ok(())
}

#[component]
fn RunSetup() -> impl IntoView {
    let train = expect_context::<TrainState>();
    let app = expect_context::<AppState>();
    let architecture_fixed =
        Signal::derive(move || train.form.with(|f| f.start != StartFrom::Scratch));
    let custom_fixed = Signal::derive(move || {
        architecture_fixed.get() || train.form.with(|f| f.preset != "custom")
    });
    let start_value = move || match train.form.with(|f| f.start.clone()) {
        StartFrom::Scratch => "scratch".to_string(),
        StartFrom::Shipped => "shipped".into(),
        StartFrom::Uploaded(_) => "uploaded".into(),
        StartFrom::Open => "open".into(),
    };
    let uploaded_name = move || match train.form.with(|f| f.start.clone()) {
        StartFrom::Uploaded(name) => Some(name),
        _ => None,
    };
    view! {
        <section class="panel controls train-setup">
            <h2>"Model and schedule"</h2>
            <label class="field wide" title="Start from random weights (a vocabulary built from the corpus), or continue training the model that ships with the app, the model open in Generate (e.g. a GPT-2 you opened, with its own tokenizer), or a checkpoint you uploaded: each keeps its vocabulary and size.">
                <span>"Start from"</span>
                <select data-testid="train-start-from" prop:value=start_value
                    on:change=move |ev| {
                        let value = event_target_value(&ev);
                        train.form.update(|f| f.start = match value.as_str() {
                            "shipped" => StartFrom::Shipped,
                            "open" => StartFrom::Open,
                            "uploaded" => uploaded_name().map(StartFrom::Uploaded).unwrap_or(StartFrom::Scratch),
                            _ => StartFrom::Scratch,
                        });
                    }>
                    <option value="scratch">"scratch"</option>
                    <option value="shipped">"shipped model"</option>
                    <option value="open">"the model open in Generate"</option>
                    <option value="uploaded" disabled=move || uploaded_name().is_none()>
                        {move || uploaded_name().map_or("an uploaded checkpoint".into(), |n| format!("upload: {n}"))}
                    </option>
                </select>
            </label>
            <label class="field wide" title="Model size. tiny: 2 layers × 2 heads, width 32, context 32 (trains in seconds). small and shipped: 4 × 4, width 128, context 128. custom: your own numbers.">
                <span>"Size"</span>
                <select data-testid="train-preset" prop:value=move || train.form.with(|f| f.preset.clone())
                    disabled=architecture_fixed
                    on:change=move |ev| train.form.update(|f| f.apply_preset(&event_target_value(&ev)))>
                    {Preset::ALL.map(|p| view! { <option value=p.name()>{p.name()}</option> }).collect_view()}
                    <option value="custom">"custom"</option>
                </select>
            </label>
            <FormField label="Layers" testid="train-layers" disabled=custom_fixed
                tip="Transformer blocks stacked on top of each other (depth)."
                get=|f| f.layers.to_string()
                set=|t, v| set_whole(t, v, |f, n| f.layers = n) />
            <FormField label="Heads" testid="train-heads" disabled=custom_fixed
                tip="Attention heads per layer; they split the width between them."
                get=|f| f.heads.to_string()
                set=|t, v| set_whole(t, v, |f, n| f.heads = n) />
            <FormField label="Width" testid="train-width" disabled=custom_fixed
                tip="Size of the residual stream (d_model); must be a multiple of the heads."
                get=|f| f.width.to_string()
                set=|t, v| set_whole(t, v, |f, n| f.width = n) />
            <FormField label="Context" testid="train-context" disabled=custom_fixed
                tip="How many tokens the model sees at once."
                get=|f| f.context.to_string()
                set=|t, v| set_whole(t, v, |f, n| f.context = n) />
            <FormField label="Learning rate" testid="train-lr"
                tip="Peak step size of AdamW (after warm-up; a cosine decay follows). Changing it during a run takes effect at the next step, without resetting the model."
                get=|f| f.learning_rate.to_string()
                set=|t, v| {
                    let rate: f64 = parse(v, "a number")?;
                    if !(rate > 0.0 && rate.is_finite()) { return Err("must be a positive number".into()); }
                    t.set_learning_rate(rate);
                    Ok(())
                } />
            <FormField label="Warm-up" testid="train-warmup"
                tip="Steps over which the learning rate ramps up from zero."
                get=|f| f.warmup.to_string()
                set=|t, v| set_whole(t, v, |f, n| f.warmup = n) />
            <FormField label="Batch" testid="train-batch"
                tip="Windows of text per step; each step trains on batch × context tokens."
                get=|f| f.batch.to_string()
                set=|t, v| set_whole(t, v, |f, n| f.batch = n) />
            <FormField label="Steps" testid="train-steps"
                tip="Optimizer steps of the run (can be raised during a run to train longer)."
                get=|f| f.steps.to_string()
                set=|t, v| {
                    let n: usize = parse(v, "a whole number ≥ 1")?;
                    if n == 0 { return Err("must be at least 1".into()); }
                    t.set_steps(n);
                    Ok(())
                } />
            <FormField label="Seed" testid="train-seed"
                tip="Fixes the initial weights and the order of the batches: the same seed gives the same curve."
                get=|f| f.seed.to_string()
                set=|t, v| set_whole(t, v, |f, n| f.seed = n as u64) />
            <FormField label="Report every" testid="train-every"
                tip="Validation loss, a sample, an attention snapshot and a save to browser storage every this many steps."
                get=|f| f.report_every.to_string()
                set=|t, v| set_whole(t, v, |f, n| f.report_every = n) />
            <p class="hint">{move || format!(
                "Trains on {} (the backend chosen at the top), in a background worker: the page stays usable. These settings are in the address bar: share it to share them.",
                app.backend.get().label()
            )}</p>
        </section>
    }
}

/// Reads a dropped or picked text file into the corpus.
fn read_text_file(train: TrainState, app: AppState, file: web_sys::File) {
    let name = file.name();
    leptos::task::spawn_local(async move {
        let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
        match text.ok().and_then(|t| t.as_string()) {
            Some(text) => train.corpus.set(CorpusChoice::Custom { name, text }),
            None => app
                .error
                .set(Some(format!("{name} could not be read as text"))),
        }
    });
}

#[component]
fn Corpus() -> impl IntoView {
    let train = expect_context::<TrainState>();
    let app = expect_context::<AppState>();
    let text = move || match train.corpus.get() {
        CorpusChoice::Custom { text, .. } => text,
        CorpusChoice::Shakespeare => String::new(),
    };
    let described = move || match train.corpus.get() {
        CorpusChoice::Shakespeare => {
            "Training text: the built-in Shakespeare (5.1 MB, 84 distinct characters).".to_string()
        }
        CorpusChoice::Custom { name, text } => {
            let mut chars: Vec<char> = text.chars().collect();
            let length = chars.len();
            chars.sort_unstable();
            chars.dedup();
            format!(
                "Training text: {name}, {length} characters, {} distinct (the vocabulary when starting from scratch).",
                chars.len()
            )
        }
    };
    let on_drop = move |ev: web_sys::DragEvent| {
        ev.prevent_default();
        if let Some(file) = ev
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|f| f.get(0))
        {
            read_text_file(train, app, file);
        }
    };
    let on_pick = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        if let Some(file) = input.files().and_then(|f| f.get(0)) {
            read_text_file(train, app, file);
        }
    };
    view! {
        <section class="panel corpus-panel">
            <h2>"Corpus"</h2>
            <textarea data-testid="train-corpus-input" rows="5" spellcheck="false"
                placeholder="Empty: the built-in Shakespeare. Paste your own text here, or drop a .txt file. Its last 10% is held out for validation."
                prop:value=text
                on:dragover=move |ev: web_sys::DragEvent| ev.prevent_default()
                on:drop=on_drop
                on:input=move |ev| {
                    let value = event_target_value(&ev);
                    train.corpus.set(if value.is_empty() {
                        CorpusChoice::Shakespeare
                    } else {
                        CorpusChoice::Custom { name: "pasted text".into(), text: value }
                    });
                }></textarea>
            <div class="buttons">
                <label class="file-button secondary" title="A plain-text file to train on">
                    "Open a .txt file"
                    <input type="file" accept=".txt,text/plain" data-testid="train-corpus-file" on:change=on_pick />
                </label>
                <button class="small secondary" on:click=move |_| train.corpus.set(CorpusChoice::Shakespeare)>
                    "Use Shakespeare"
                </button>
            </div>
            <p class="hint">{described}</p>
        </section>
    }
}

#[component]
fn RunControls() -> impl IntoView {
    let train = expect_context::<TrainState>();
    let phase = move || train.phase.get();
    let on_upload = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        let name = file.name();
        leptos::task::spawn_local(async move {
            if let Ok(buffer) = wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
                train.upload(name, js_sys::Uint8Array::new(&buffer).to_vec());
            }
        });
        input.set_value("");
    };
    let record = train.record;
    let number =
        |v: Option<f64>, digits: usize| v.map_or("—".to_string(), |v| format!("{v:.digits$}"));
    let last_loss = move || {
        record.with(|r| {
            r.as_ref()
                .and_then(|r| r.curve.last().map(|p| p.loss as f64))
        })
    };
    let last_val = move || {
        record.with(|r| {
            r.as_ref()
                .and_then(|r| r.curve.iter().rev().find_map(|p| p.val_loss.map(f64::from)))
        })
    };
    let rate = move || record.with(|r| r.as_ref().and_then(|r| r.tokens_per_second(20)));
    let clock = |s: f64| format!("{}:{:02}", (s / 60.0) as u64, (s % 60.0) as u64);
    view! {
        <section class="panel run-panel">
            <h2>
                "Run"
                <span class="badge phase" data-testid="train-phase" data-phase=move || phase().label()
                    title=move || format!("training on {}", train.backend.get().label())>{move || phase().label()}</span>
                <span class="hint">{move || train.summary.get()}</span>
            </h2>
            <div class="buttons">
                <button data-testid="train-start" on:click=move |_| train.start()
                    disabled=move || matches!(phase(), Phase::Starting | Phase::Running)
                    title="Start a new run with these settings (a run in progress is replaced).">"Start"</button>
                <button data-testid="train-pause" on:click=move |_| train.pause()
                    disabled=move || phase() != Phase::Running
                    title="Pause after the current step; the run is saved.">"Pause"</button>
                <button data-testid="train-resume" on:click=move |_| train.resume()
                    disabled=move || !matches!(phase(), Phase::Paused | Phase::Diverged)
                    title="Continue exactly where the run paused: the same curve as if it had never stopped.">"Resume"</button>
                <button class="secondary" data-testid="train-stop" on:click=move |_| train.stop()
                    disabled=move || !matches!(phase(), Phase::Running | Phase::Paused)
                    title="End the run here; its weights stay to look at, download or use.">"Stop"</button>
                <button class="secondary" data-testid="train-reset" on:click=move |_| train.reset()
                    disabled=move || phase() == Phase::Idle
                    title="Throw the run away (also from browser storage).">"Reset"</button>
            </div>
            <Show when=move || train.confirm_replace.with(Option::is_some)>
                <div class="offer" role="alertdialog" data-testid="start-confirm">
                    <span>"Browser storage holds a training run this tab did not save (an earlier visit's, or another tab's). Starting replaces it."</span>
                    <button data-testid="start-confirm-replace" on:click=move |_| train.answer_replace(true)>"Replace it"</button>
                    <button class="secondary" data-testid="start-confirm-keep" on:click=move |_| train.answer_replace(false)>"Keep it"</button>
                </div>
            </Show>
            <div class="buttons">
                <button class="secondary" data-testid="train-use" on:click=move |_| train.use_in_visualizer()
                    disabled=move || !phase().has_run()
                    title="Step through generation with the weights as they are now (training goes on).">"Use in visualizer"</button>
                <button class="secondary" data-testid="train-download" on:click=move |_| train.download()
                    disabled=move || !phase().has_run()
                    title="The checkpoint as a file (weights, optimizer state, vocabulary): `glassbox generate --model FILE` reads it.">"Download checkpoint"</button>
                <label class="file-button secondary" title="A Glassbox checkpoint (from this page or `glassbox train`) to continue training from.">
                    "Upload checkpoint"
                    <input type="file" accept=".safetensors" data-testid="train-upload" on:change=on_upload />
                </label>
            </div>
            <dl class="stats">
                <div><dt>"step"</dt><dd><span data-testid="train-step">{move || record.with(|r| r.as_ref().map_or(0, RunRecord::step))}</span>
                    {move || format!(" / {}", train.form.with(|f| f.steps))}</dd></div>
                <div><dt>"training loss"</dt><dd data-testid="train-loss">{move || number(last_loss(), 4)}</dd></div>
                <div><dt>"validation loss"</dt><dd data-testid="val-loss">{move || number(last_val(), 4)}</dd></div>
                <div><dt>"tokens/s"</dt><dd data-testid="tokens-per-second">{move || number(rate(), 0)}</dd></div>
                <div><dt>"elapsed"</dt><dd data-testid="train-elapsed">{move || record.with(|r| r.as_ref().map_or("—".into(), |r| clock(r.elapsed_s())))}</dd></div>
                <div><dt>"left"</dt><dd data-testid="train-eta">{move || record.with(|r| r.as_ref().and_then(RunRecord::eta_s).map_or("—".into(), clock))}</dd></div>
                <div><dt>"saved"</dt><dd data-testid="train-saved">{move || train.saved_step.get().map_or("—".into(), |s| format!("step {s}"))}</dd></div>
            </dl>
        </section>
    }
}

/// Sizes a chart canvas to its panel's width.
fn fit_to_parent(el: &web_sys::HtmlCanvasElement, height: u32) {
    let width = el
        .parent_element()
        .map_or(600, |p| p.client_width())
        .max(300);
    el.set_width(width as u32);
    el.set_height(height);
}

#[component]
fn LossPanel() -> impl IntoView {
    let train = expect_context::<TrainState>();
    let app = expect_context::<AppState>();
    let canvas = NodeRef::<Canvas>::new();
    let hover = RwSignal::new(None::<usize>);
    let area = StoredValue::new(None::<PlotArea>);
    let diversity = NodeRef::<Canvas>::new();
    Effect::new(move |_| {
        app.theme_version.track();
        let Some(el) = diversity.get() else { return };
        train.record.with(|record| match record {
            Some(record) => {
                fit_to_parent(&el, 150);
                loss_chart::draw_diversity(&el, record);
            }
            None => el.set_height(0),
        });
    });
    Effect::new(move |_| {
        app.theme_version.track();
        let (log_scale, hover) = (train.log_scale.get(), hover.get());
        let Some(el) = canvas.get() else { return };
        fit_to_parent(&el, 300);
        train.record.with(|record| match record {
            Some(record) => area.set_value(loss_chart::draw(&el, record, log_scale, hover)),
            None => {
                el.set_height(0);
                area.set_value(None);
            }
        });
    });
    let on_move = move |ev: web_sys::MouseEvent| {
        let Some(el) = canvas.get() else { return };
        let rect = el.get_bounding_client_rect();
        let x = (ev.client_x() as f64 - rect.left()) * el.width() as f64 / rect.width().max(1.0);
        hover.set(area.get_value().and_then(|a| a.step_at(x)));
    };
    let readout = move || {
        let step = hover.get()?;
        train.record.with(|r| {
            let r = r.as_ref()?;
            let index = r.curve.iter().position(|p| p.step >= step)?;
            let point = &r.curve[index];
            let smoothed = r.smoothed_loss(loss_chart::SMOOTHING)[index];
            let val = r.curve[..=index]
                .iter()
                .rev()
                .find_map(|p| p.val_loss.map(|v| (p.step, v)));
            Some(format!(
                "step {}: training loss {:.4} (smoothed {:.4}){}, learning rate {:.2e}",
                point.step,
                point.loss,
                smoothed,
                val.map_or(String::new(), |(s, v)| format!(
                    ", validation {v:.4} at step {s}"
                )),
                point.learning_rate
            ))
        })
    };
    view! {
        <section class="panel loss-panel">
            <h2 title="Cross-entropy of the next token, in nats: how surprised the model is by the real next character. A uniform guess scores ln(vocabulary); learning pushes it down. Validation loss is measured on the held-out last 10% of the text: when it stops falling while training loss still does, the model is memorising.">
                "Loss"
                <label class="inline-check"><input type="checkbox" data-testid="train-log"
                    prop:checked=move || train.log_scale.get()
                    on:change=move |ev| train.log_scale.set(event_target_checked(&ev)) />"log scale"</label>
            </h2>
            <canvas node_ref=canvas data-testid="loss-chart" class="loss-chart"
                data-points=move || train.record.with(|r| r.as_ref().map_or(0, |r| r.curve.len()))
                on:mousemove=on_move on:mouseleave=move |_| hover.set(None)></canvas>
            <div class="row-actions">
                <button class="small secondary" data-testid="train-curve-csv"
                    disabled=move || train.record.with(Option::is_none)
                    on:click=move |_| train.record.with(|r| if let Some(r) = r {
                        crate::web::download::save_bytes(r.curve_csv().as_bytes(), "glassbox-loss-curve.csv");
                    })
                    title="Every step's training loss, the validation losses, learning rate and time, as the CLI writes them.">"Curve as CSV"</button>
                <button class="small secondary" disabled=move || train.record.with(Option::is_none)
                    on:click=move |_| if let Some(el) = canvas.get() { heatmap::save_png(&el, "glassbox-loss-curve.png") }>"Chart as PNG"</button>
            </div>
            <p class="hint" data-testid="loss-hover">{move || readout().unwrap_or_else(|| {
                if train.record.with(Option::is_none) { "Start a run: the curves appear here as it trains.".into() } else { "Hover over the chart to read the values.".into() }
            })}</p>
            <h3 title="All heads start from random weights; the loss pushes them apart. Each point compares how two heads of the same layer attend to the probe sentence (Jensen–Shannon distance, 0 = the same pattern, 1 = disjoint), averaged over the heads and layers, at each attention snapshot. The Inside view shows the whole heads × heads matrix.">
                "Head diversity"
            </h3>
            <canvas node_ref=diversity data-testid="train-head-diversity" class="loss-chart"
                data-points=move || train.record.with(|r| r.as_ref().map_or(0, |r| r.snapshots.len()))
                data-last=move || train.record.with(|r| r.as_ref().and_then(|r| r.head_diversity().last().map(|d| d.1.to_string())))></canvas>
        </section>
    }
}

#[component]
fn SamplePanel() -> impl IntoView {
    let train = expect_context::<TrainState>();
    let samples = move || {
        train.record.with(|r| {
            r.as_ref()
                .map(|r| r.samples.iter().rev().take(4).cloned().collect::<Vec<_>>())
                .unwrap_or_default()
        })
    };
    view! {
        <section class="panel sample-panel">
            <h2 title="Every report, the model continues a fixed prompt greedily (always the most likely next character). Early samples are noise; watch words, then names and line breaks appear.">"Samples"</h2>
            <pre class="sample" data-testid="train-sample">{move || samples().first().map(|s| s.text.clone()).unwrap_or_default()}</pre>
            <p class="hint">{move || samples().first().map(|s| format!("step {}, greedy", s.step))}</p>
            <details>
                <summary>"earlier samples"</summary>
                {move || samples().into_iter().skip(1).map(|s| view! {
                    <p class="hint">{format!("step {}", s.step)}</p><pre class="sample old">{s.text}</pre>
                }).collect_view()}
            </details>
        </section>
    }
}

#[component]
fn ProbeAttention() -> impl IntoView {
    let train = expect_context::<TrainState>();
    let app = expect_context::<AppState>();
    let shape = Memo::new(move |_| {
        train.record.with(|r| {
            r.as_ref()
                .map(|r| (r.settings.model.n_layer, r.settings.model.n_head))
        })
    });
    let count = Memo::new(move |_| {
        train
            .record
            .with(|r| r.as_ref().map_or(0, |r| r.snapshots.len()))
    });
    // (index, step) of the snapshot on screen: the heatmaps redraw when it changes, not at
    // every training step.
    let shown = Memo::new(move |_| {
        let n = count.get();
        let index = train.scrub.get().unwrap_or(n.max(1) - 1).min(n.max(1) - 1);
        train.record.with(|r| {
            r.as_ref()
                .and_then(|r| r.snapshots.get(index))
                .map(|s| (index, s.step))
        })
    });
    let selected = RwSignal::new(HeadView::Head { layer: 0, head: 0 });
    let detail = NodeRef::<Canvas>::new();

    let grid = move || {
        let (n_layer, n_head) = shape.get()?;
        let thumbs = grid_canvases(n_layer, n_head);
        let refs = thumbs.clone();
        Effect::new(move |_| {
            app.theme_version.track();
            let Some((index, _)) = shown.get() else {
                return;
            };
            train.record.with_untracked(|r| {
                let Some(snapshot) = r.as_ref().and_then(|r| r.snapshots.get(index)) else {
                    return;
                };
                draw_grid(&refs, &snapshot.attention, None);
            });
        });
        let rows = thumbs.into_iter().enumerate().map(|(layer, row)| {
            let cells = row.into_iter().enumerate().map(move |(column, node)| {
                let view = grid_view(layer, column, n_head);
                view! {
                    <button class="thumb" data-testid="train-thumb" data-layer=layer
                        class:primary=move || selected.get() == view
                        title=format!("{}: click to open it large", view.label())
                        on:click=move |_| selected.set(view)>
                        <canvas node_ref=node></canvas>
                    </button>
                }
            }).collect_view();
            view! { <div class="grid-row"><span class="row-label">{format!("L{}", layer + 1)}</span>{cells}</div> }
        }).collect_view();
        Some(view! {
            <div class="grid-head">
                <span class="row-label"></span>
                {(0..n_head).map(|h| view! { <span class="col-label">{format!("H{}", h + 1)}</span> }).collect_view()}
                <span class="col-label">"mean"</span>
            </div>
            <div class="attention-grid" data-testid="train-attention" style=format!("--heads: {}", n_head + 1)>{rows}</div>
        })
    };

    Effect::new(move |_| {
        app.theme_version.track();
        let view = selected.get();
        let (Some(el), Some((index, _))) = (detail.get(), shown.get()) else {
            return;
        };
        train.record.with_untracked(|r| {
            let Some(r) = r.as_ref() else { return };
            let Some(snapshot) = r.snapshots.get(index) else {
                return;
            };
            let m = &snapshot.attention;
            // A head picked for a run of another shape shows nothing.
            let Some(cells) = m.view(view) else {
                return;
            };
            let width = el.parent_element().map_or(400, |p| p.client_width()) as f64;
            heatmap::draw_detail(
                &el,
                m.size,
                &cells,
                &r.probe_labels,
                Scale::Weights,
                &format!("{} at step {}", view.label(), snapshot.step),
                (width - 120.0).clamp(120.0, 480.0),
            );
        });
    });

    view! {
        <section class="panel attention-panel">
            <h2 title="The attention of every head on a fixed sentence, from the weights being trained. At step 0 the heads attend almost uniformly; as the loss falls they specialise (the previous character, the start of a word, the same letter earlier).">
                "Attention while learning"
            </h2>
            {grid}
            <label class="field scrubber" title="Replay the saved snapshots of the grid over training; at the right end it follows the run live.">
                <span>{move || match (shown.get(), train.scrub.get()) {
                    (Some((_, step)), None) => format!("step {step} (live)"),
                    (Some((_, step)), Some(_)) => format!("step {step}"),
                    _ => "no snapshot yet".into(),
                }}</span>
                <input type="range" data-testid="train-scrubber" min="0"
                    max=move || count.get().saturating_sub(1)
                    prop:value=move || shown.get().map_or(0, |(index, _)| index)
                    disabled=move || count.get() < 2
                    on:input=move |ev| {
                        let index: usize = event_target_value(&ev).parse().unwrap_or(0);
                        train.scrub.set((index + 1 < count.get_untracked()).then_some(index));
                    } />
            </label>
            <figure class="heatmap"><canvas node_ref=detail data-testid="train-attention-detail"></canvas></figure>
        </section>
    }
}
