//! The page's tabs (a leaf: the URL codec and the state both name them).

/// The page's tabs; `param` is the name a link uses (`?view=…`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tab {
    /// Learn: the lessons (the first visit opens here).
    #[default]
    Learn,
    /// Generate: step through generation.
    Generate,
    /// Inside the model: lens, ablation, diversity, the MLP, teacher forcing, beams.
    Inside,
    /// Train a model in the tab.
    Train,
    /// Experiments that compare runs.
    Experiments,
}

impl Tab {
    /// Every tab, in the order the page shows them.
    pub const ALL: [Tab; 5] = [
        Tab::Learn,
        Tab::Generate,
        Tab::Inside,
        Tab::Train,
        Tab::Experiments,
    ];

    /// The tab's name on the page.
    pub fn label(self) -> &'static str {
        match self {
            Tab::Learn => "Learn",
            Tab::Generate => "Generate",
            Tab::Inside => "Inside",
            Tab::Train => "Train",
            Tab::Experiments => "Experiments",
        }
    }

    /// The `?view=` value.
    pub fn param(self) -> &'static str {
        match self {
            Tab::Learn => "learn",
            Tab::Generate => "visualize",
            Tab::Inside => "inside",
            Tab::Train => "train",
            Tab::Experiments => "experiments",
        }
    }

    /// The tab a `?view=` value names.
    pub fn from_param(value: &str) -> Option<Self> {
        Tab::ALL.into_iter().find(|v| v.param() == value)
    }
}
