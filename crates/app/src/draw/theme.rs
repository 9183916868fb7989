//! The canvases' colours, following the browser's light or dark scheme.

/// The colours every canvas draws its frame in, for the page's light or dark scheme.
pub struct Theme {
    /// Behind the plot.
    pub background: &'static str,
    /// Labels and axes.
    pub text: &'static str,
    /// Cells a query may not see (the future).
    pub masked: &'static str,
    /// The hatch over masked cells.
    pub hatch: &'static str,
}

/// The theme of the scheme the browser prefers now.
pub fn theme() -> Theme {
    let dark = web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches());
    if dark {
        Theme {
            background: "#1f2228",
            text: "#e8eaed",
            masked: "#2b2f36",
            hatch: "#4a505a",
        }
    } else {
        Theme {
            background: "#ffffff",
            text: "#1d1f21",
            masked: "#eceef1",
            hatch: "#c3c8cf",
        }
    }
}
