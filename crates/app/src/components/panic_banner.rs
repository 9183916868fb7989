//! The safety net: if Rust code in the page still panics, the wasm instance is poisoned (every
//! later call into it fails), so the page says so itself, with the message and a Reload button,
//! instead of freezing. The banner is plain DOM written from the panic hook: no Leptos, no
//! closures into the dead instance (the button reloads through an inline handler).

use std::panic::PanicHookInfo;

/// Chains the banner after the hook already set (the console report of `start_module`).
pub fn install() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        previous(info);
        show(info);
    }));
}

fn show(info: &PanicHookInfo) {
    let message = info
        .payload()
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| info.payload().downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "an internal error".into());
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(body) = document.body() else {
        return;
    };
    if document
        .query_selector("[data-testid=panic-banner]")
        .ok()
        .flatten()
        .is_some()
    {
        return; // the first panic's banner stays
    }
    let Ok(banner) = document.create_element("div") else {
        return;
    };
    let _ = banner.set_attribute("class", "panic-banner");
    let _ = banner.set_attribute("role", "alert");
    let _ = banner.set_attribute("data-testid", "panic-banner");
    let location = info
        .location()
        .map(|l| format!(" ({}:{})", l.file(), l.line()))
        .unwrap_or_default();
    banner.set_inner_html(
        "<strong>Glassbox stopped: an internal error.</strong> \
         <span data-testid=\"panic-message\"></span> \
         A training run is saved in this browser at its last save and is offered again after a \
         reload. <button data-testid=\"panic-reload\" onclick=\"location.reload()\">Reload</button>",
    );
    if let Ok(Some(text)) = banner.query_selector("[data-testid=panic-message]") {
        text.set_text_content(Some(&format!("{message}{location}.")));
    }
    let _ = body.prepend_with_node_1(&banner);
}
