//! A training worker and the messages waiting for it: started on first use, messages queued
//! until it says it is ready. The Train view and the Experiments view each own one.

use glassbox_browser::protocol::{self, Command, Event};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Blob, BlobPropertyBag, MessageEvent, Url, Worker, WorkerOptions, WorkerType};

#[wasm_bindgen]
extern "C" {
    type ImportMeta;

    #[wasm_bindgen(method, getter)]
    fn url(this: &ImportMeta) -> String;

    /// `import.meta` of the page's wasm-bindgen module (the glue trunk names with a hash).
    #[wasm_bindgen(thread_local_v2, js_namespace = import, js_name = meta)]
    static IMPORT_META: ImportMeta;
}

/// A module script that starts this same wasm module in a worker, where `main` serves training
/// (`crate::worker`). The page sends it the compiled module as its first message
/// ([`wasm_bindgen::module`]), so nothing is downloaded or compiled twice.
fn worker_script() -> Result<String, JsValue> {
    let glue = IMPORT_META.with(ImportMeta::url);
    let source = format!(
        "import init from {glue:?};\n\
         addEventListener('message', (e) => init({{ module_or_path: e.data }}), {{ once: true }});\n"
    );
    let options = BlobPropertyBag::new();
    options.set_type("text/javascript");
    let blob =
        Blob::new_with_str_sequence_and_options(&js_sys::Array::of1(&source.into()), &options)?;
    Url::create_object_url_with_blob(&blob)
}

struct Link {
    worker: Worker,
    ready: bool,
    queue: Vec<JsValue>,
}

impl Link {
    /// Sends an encoded message, its bytes transferred.
    fn post(&self, message: &JsValue) {
        let transfer = protocol::transfer_list(message);
        let _ = self.worker.post_message_with_transfer(message, &transfer);
    }
}

/// Where a worker's events go.
pub trait WorkerOwner: Copy + 'static {
    fn on_event(self, event: Event, bytes: Option<Vec<u8>>);
    /// The worker crashed, or a message could not be read or sent.
    fn on_failure(self, message: String);
}

#[derive(Clone, Copy)]
pub struct WorkerLink {
    link: StoredValue<Option<Link>, LocalStorage>,
}

impl WorkerLink {
    pub fn new() -> Self {
        Self {
            link: StoredValue::new_local(None),
        }
    }

    fn ensure(self, owner: impl WorkerOwner) -> Result<(), String> {
        if self.link.with_value(Option::is_some) {
            return Ok(());
        }
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        let worker = worker_script()
            .and_then(|script| Worker::new_with_options(&script, &options))
            .and_then(|worker| worker.post_message(&wasm_bindgen::module()).map(|_| worker))
            .map_err(|e| format!("cannot start the training worker: {e:?}"))?;
        let receive =
            Closure::<dyn Fn(MessageEvent)>::new(
                move |event: MessageEvent| match protocol::decode::<Event>(&event.data()) {
                    Ok((Event::Ready, _)) => self.link.update_value(|link| {
                        if let Some(link) = link {
                            link.ready = true;
                            for message in std::mem::take(&mut link.queue) {
                                link.post(&message);
                            }
                        }
                    }),
                    Ok((event, bytes)) => owner.on_event(event, bytes),
                    Err(message) => owner.on_failure(message),
                },
            );
        worker.set_onmessage(Some(receive.as_ref().unchecked_ref()));
        receive.forget(); // as long as the page
        let crashed =
            Closure::<dyn Fn(web_sys::ErrorEvent)>::new(move |event: web_sys::ErrorEvent| {
                owner.on_failure(format!("the training worker stopped: {}", event.message()));
            });
        worker.set_onerror(Some(crashed.as_ref().unchecked_ref()));
        crashed.forget();
        self.link.set_value(Some(Link {
            worker,
            ready: false,
            queue: Vec::new(),
        }));
        Ok(())
    }

    /// Sends `command` (with `bytes` transferred), starting the worker if needed.
    pub fn send(self, owner: impl WorkerOwner, command: &Command, bytes: Option<&[u8]>) {
        let result = self
            .ensure(owner)
            .and_then(|_| protocol::encode(command, bytes));
        let message = match result {
            Ok(m) => m,
            Err(e) => return owner.on_failure(e),
        };
        self.link.update_value(|link| {
            let Some(link) = link else { return };
            if link.ready {
                link.post(&message);
            } else {
                link.queue.push(message);
            }
        });
    }

    /// Ends the worker at once (even mid-step).
    pub fn terminate(self) {
        if let Some(link) = self.link.try_update_value(Option::take).flatten() {
            link.worker.terminate();
        }
    }
}
