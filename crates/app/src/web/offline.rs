//! The service worker (`web/sw.js`) that keeps the app and its shipped model for a visit with
//! the network gone.

use wasm_bindgen_futures::JsFuture;

/// Registers the service worker. Called once the shipped model is ready, so that its first
/// download of the app's files waits until the page no longer needs the network. A browser
/// without service workers (or one refusing them) runs the app online only, and says so in the
/// console.
pub fn keep_for_offline() {
    let Some(workers) = web_sys::window().map(|w| w.navigator().service_worker()) else {
        return;
    };
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(e) = JsFuture::from(workers.register("sw.js")).await {
            web_sys::console::warn_2(&"Glassbox works online only here:".into(), &e);
        }
    });
}
