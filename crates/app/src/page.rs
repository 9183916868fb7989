//! Page-wide basics every module may use: the tabs, the clock, and yielding to the browser.

/// The page's tabs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Visualize,
    Inside,
    Train,
    Experiments,
}

impl View {
    pub fn param(self) -> &'static str {
        match self {
            View::Visualize => "visualize",
            View::Inside => "inside",
            View::Train => "train",
            View::Experiments => "experiments",
        }
    }

    pub fn from_param(value: &str) -> Option<Self> {
        [
            View::Visualize,
            View::Inside,
            View::Train,
            View::Experiments,
        ]
        .into_iter()
        .find(|v| v.param() == value)
    }
}

pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

/// Lets the browser paint and handle input before the next piece of work.
pub async fn yield_to_browser() {
    gloo_timers::future::TimeoutFuture::new(0).await;
}
