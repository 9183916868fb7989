//! The page's clock and yielding to the browser, for any module that times or slices work.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;

thread_local! {
    /// When [`pause_if_due`] last let the browser run.
    static LAST_PAUSE_MS: Cell<f64> = const { Cell::new(0.0) };
}

/// Milliseconds since the page loaded (0 where there is no `performance`).
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

/// Lets the browser paint and handle input before the next piece of work.
pub async fn yield_to_browser() {
    gloo_timers::future::TimeoutFuture::new(0).await;
    LAST_PAUSE_MS.set(now_ms());
}

/// The page's pause between pieces of a long analysis (`glassbox_model::pause`): lets the browser
/// paint once the pieces since the last pause have taken a good part of a frame, so GPT-2's
/// passes keep the page drawing while a small model's many short passes are not slowed by a
/// timer each.
pub fn pause_if_due() -> Pin<Box<dyn Future<Output = ()>>> {
    const WORK_MS: f64 = 25.0;
    Box::pin(async {
        if now_ms() - LAST_PAUSE_MS.get() >= WORK_MS {
            yield_to_browser().await;
        }
    })
}
