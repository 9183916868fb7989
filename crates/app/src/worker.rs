//! The training worker: trains in its own thread so the page stays responsive. It owns the
//! [`TrainingRun`], takes commands from the page between steps and reports every step; the page
//! keeps the saved checkpoints and draws.
//!
//! It is the page's own wasm module started in a Web Worker (see `web/worker_link.rs`): one
//! download, already in the browser's cache, instead of a second 23 MB module. `main` sends a
//! worker here instead of mounting the page.

use futures_channel::mpsc::{UnboundedReceiver, unbounded};
use futures_util::StreamExt;
use glassbox_browser::backend::Backend;
use glassbox_browser::protocol::{self, Command, Event};
use std::collections::BTreeSet;

use glassbox_model::limits::{self, Budget};
use glassbox_model::{Checkpoint, GlassboxError, GptConfig, RunSettings, TrainingRun};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

type Message = (Command, Option<Vec<u8>>);

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn now_s() -> f64 {
    scope().performance().map_or(0.0, |p| p.now()) / 1000.0
}

fn post(event: &Event, bytes: Option<&[u8]>) {
    match protocol::encode(event, bytes) {
        Ok(message) => {
            let transfer = protocol::transfer_list(&message);
            if let Err(e) = scope().post_message_with_transfer(&message, &transfer) {
                web_sys::console::error_1(&e);
            }
        }
        Err(e) => web_sys::console::error_1(&e.into()),
    }
}

fn fail(message: impl Into<String>) {
    post(
        &Event::Failed {
            message: message.into(),
        },
        None,
    );
}

#[derive(Default)]
struct Worker {
    run: Option<TrainingRun>,
    /// Where the run computes (WebGPU checkpoints leave the optimizer state out).
    backend: Option<Backend>,
    running: bool,
    /// Training seconds before the current stretch of steps.
    elapsed_s: f64,
}

impl Worker {
    async fn handle(&mut self, command: Command, bytes: Option<Vec<u8>>) {
        if let Err(message) = self.try_handle(command, bytes).await {
            self.running = false;
            fail(message);
        }
    }

    async fn try_handle(&mut self, command: Command, bytes: Option<Vec<u8>>) -> Result<(), String> {
        let text = |e: GlassboxError| e.to_string();
        match command {
            Command::Start {
                settings,
                corpus,
                backend,
            } => self.start(settings, corpus, backend, bytes).await?,
            Command::Resume {
                record,
                corpus,
                backend,
            } => {
                self.run = None;
                let device = glassbox_browser::backend::device(backend).await?.autodiff();
                let checkpoint = Checkpoint::from_bytes(&bytes.ok_or("no checkpoint to resume")?)
                    .map_err(text)?;
                let run =
                    TrainingRun::resume(&checkpoint, record, &corpus, &device).map_err(text)?;
                self.begin(run, backend).await?;
            }
            Command::Pause => {
                if self.running {
                    self.running = false;
                    self.save().await?;
                    post(
                        &Event::Paused {
                            step: self.steps_done(),
                        },
                        None,
                    );
                }
            }
            Command::Continue => {
                if let Some(run) = &self.run {
                    self.running = !run.is_finished();
                }
            }
            Command::SetLearningRate(rate) => {
                if let Some(run) = &mut self.run {
                    run.set_learning_rate(rate);
                }
            }
            Command::SetTotalSteps(steps) => {
                if let Some(run) = &mut self.run {
                    run.set_total_steps(steps);
                }
            }
            Command::Export(purpose) => {
                let bytes = self.checkpoint_bytes().await?;
                post(
                    &Event::Exported {
                        purpose,
                        step: self.steps_done(),
                    },
                    Some(&bytes),
                );
            }
        }
        Ok(())
    }

    /// A new run (from scratch, or from the checkpoint in `bytes`), once its real shape fits.
    async fn start(
        &mut self,
        settings: RunSettings,
        corpus: String,
        backend: Backend,
        bytes: Option<Vec<u8>>,
    ) -> Result<(), String> {
        let text = |e: GlassboxError| e.to_string();
        self.run = None;
        let device = glassbox_browser::backend::device(backend).await?.autodiff();
        let base = bytes
            .map(|b| Checkpoint::from_bytes(&b))
            .transpose()
            .map_err(text)?;
        // The page checked the form with a guessed vocabulary: check the real shape before the
        // first step allocates its activations.
        let model = match &base {
            Some(base) => base.config.clone(),
            None => GptConfig {
                vocab_size: corpus.chars().collect::<BTreeSet<_>>().len(),
                ..settings.model.clone()
            },
        };
        limits::check_training(&model, settings.train.batch_size, Budget::BROWSER_TAB)?;
        let run = TrainingRun::start(settings, &corpus, base.as_ref(), &device).map_err(text)?;
        self.begin(run, backend).await
    }

    /// Optimizer steps the run has done (0 before one starts).
    fn steps_done(&self) -> usize {
        self.run.as_ref().map_or(0, TrainingRun::steps_done)
    }

    /// Reports the new run and what the untrained (or resumed) weights do, then trains.
    async fn begin(&mut self, mut run: TrainingRun, backend: Backend) -> Result<(), String> {
        if run.record.curve.is_empty() {
            run.observe().await.map_err(|e| e.to_string())?;
        }
        let summary = run.model_config().summary();
        self.elapsed_s = run.record.elapsed_s();
        post(
            &Event::Started {
                record: Box::new(run.record.clone()),
                summary,
                backend,
            },
            None,
        );
        self.running = !run.is_finished();
        self.run = Some(run);
        self.backend = Some(backend);
        Ok(())
    }

    async fn checkpoint_bytes(&self) -> Result<Vec<u8>, String> {
        let run = self.run.as_ref().ok_or("no training run yet")?;
        let checkpoint = run.checkpoint().await.map_err(|e| e.to_string())?;
        checkpoint.to_bytes().map_err(|e| e.to_string())
    }

    async fn save(&self) -> Result<(), String> {
        let bytes = self.checkpoint_bytes().await?;
        post(
            &Event::Saved {
                step: self.steps_done(),
            },
            Some(&bytes),
        );
        Ok(())
    }

    /// One optimizer step and its report; saves after every evaluation.
    async fn train_one(&mut self) -> Result<(), String> {
        let Some(run) = &mut self.run else {
            self.running = false;
            return Ok(());
        };
        let (start, before) = (now_s(), self.elapsed_s);
        let outcome = run.train_step(|| before + now_s() - start).await;
        match outcome {
            Ok(report) => {
                self.elapsed_s = run.record.elapsed_s();
                let evaluated = report.point.as_ref().is_some_and(|p| p.val_loss.is_some());
                post(&Event::Report(report), None);
                let finished = self.run.as_ref().is_some_and(TrainingRun::is_finished);
                if evaluated || finished {
                    self.save().await?;
                }
                if finished {
                    self.running = false;
                    post(
                        &Event::Finished {
                            step: self.steps_done(),
                        },
                        None,
                    );
                }
            }
            Err(err @ GlassboxError::Diverged { .. }) => {
                self.running = false;
                let step = run.steps_done();
                run.record.truncate(step);
                post(
                    &Event::Diverged {
                        message: err.to_string(),
                        step,
                    },
                    None,
                );
                self.save().await?;
            }
            Err(err) => return Err(err.to_string()),
        }
        Ok(())
    }
}

async fn serve(mut inbox: UnboundedReceiver<Message>) {
    let mut worker = Worker::default();
    loop {
        // While training, take whatever arrived between steps; when idle, wait for a command.
        let message = if worker.running {
            inbox.try_recv().ok()
        } else {
            match inbox.next().await {
                Some(message) => Some(message),
                None => return,
            }
        };
        match message {
            Some((command, bytes)) => worker.handle(command, bytes).await,
            None => {
                if let Err(message) = worker.train_one().await {
                    worker.running = false;
                    fail(message);
                }
                // Lets queued messages (pause, a new learning rate) in before the next step.
                gloo_timers::future::TimeoutFuture::new(0).await;
            }
        }
    }
}

/// Whether this instance of the module runs in the training worker (not the page).
pub fn is_worker() -> bool {
    js_sys::global().is_instance_of::<DedicatedWorkerGlobalScope>()
}

/// Takes the page's commands and trains until the worker is closed.
pub fn run() {
    let (outbox, inbox) = unbounded::<Message>();
    let receive = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
        match protocol::decode::<Command>(&event.data()) {
            Ok(message) => {
                let _ = outbox.unbounded_send(message);
            }
            Err(message) => fail(message),
        }
    });
    scope().set_onmessage(Some(receive.as_ref().unchecked_ref()));
    receive.forget(); // lives as long as the worker
    wasm_bindgen_futures::spawn_local(serve(inbox));
    post(&Event::Ready, None);
}
