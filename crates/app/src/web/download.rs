//! Files the page hands to the user: canvases as PNG, checkpoints as safetensors.

use wasm_bindgen::JsCast;

/// Starts the browser's download of `url` as `file_name`.
pub fn offer(url: &str, file_name: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(anchor) = document.create_element("a") else {
        return;
    };
    let anchor: web_sys::HtmlAnchorElement = anchor.unchecked_into();
    anchor.set_href(url);
    anchor.set_download(file_name);
    anchor.click();
}

/// Offers `bytes` as a file download.
pub fn save_bytes(bytes: &[u8], file_name: &str) {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/octet-stream");
    let Ok(blob) = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    offer(&url, file_name);
    // The click has started the download; the URL is no longer needed once it has been read.
    let revoke = url.clone();
    wasm_bindgen_futures::spawn_local(async move {
        gloo_timers::future::TimeoutFuture::new(60_000).await;
        let _ = web_sys::Url::revoke_object_url(&revoke);
    });
}
