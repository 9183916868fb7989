//! The keyboard shortcuts: which key does what, and the list the `?` overlay shows, from one
//! table so the two cannot disagree.

use crate::tab::Tab;

/// What a shortcut does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shortcut {
    /// Step once (Generate, Inside).
    Step,
    /// Undo the last step (Generate, Inside).
    Back,
    /// Play or pause generation; on Train, start, pause or resume the run.
    PlayPause,
    /// Start generation over from the prompt (Generate, Inside).
    Reset,
    /// Open a tab.
    Open(Tab),
    /// Large type for a projector, or back.
    Presenter,
    /// Show or hide the list of shortcuts.
    Help,
    /// Close the list of shortcuts.
    Close,
}

/// Each key (a `KeyboardEvent.key` value) and its shortcut, in the overlay's order.
const KEYS: &[(&str, Shortcut)] = &[
    ("ArrowRight", Shortcut::Step),
    ("n", Shortcut::Step),
    ("ArrowLeft", Shortcut::Back),
    (" ", Shortcut::PlayPause),
    ("r", Shortcut::Reset),
    ("1", Shortcut::Open(Tab::Learn)),
    ("2", Shortcut::Open(Tab::Generate)),
    ("3", Shortcut::Open(Tab::Inside)),
    ("4", Shortcut::Open(Tab::Train)),
    ("5", Shortcut::Open(Tab::Experiments)),
    ("p", Shortcut::Presenter),
    ("?", Shortcut::Help),
    ("Escape", Shortcut::Close),
];

/// The keys of the attention grids, which they handle themselves while a thumbnail has focus.
pub const GRID_KEYS: (&str, &str) = (
    "← ↑ → ↓",
    "on an attention grid (a head focused): select the neighbouring head",
);

impl Shortcut {
    /// The shortcut of a key, if it has one.
    pub fn of_key(key: &str) -> Option<Self> {
        KEYS.iter().find(|(k, _)| *k == key).map(|&(_, s)| s)
    }

    /// The first key of the shortcut, as a `KeyboardEvent.key` value (for `aria-keyshortcuts`
    /// and a tooltip), if the table has one.
    pub fn key(self) -> Option<&'static str> {
        KEYS.iter().find(|&&(_, s)| s == self).map(|&(k, _)| k)
    }

    /// Whether the key is one the focused control would also act on (a button or a link
    /// activates on Space), so that the shortcut must leave it to the control.
    pub fn activates_controls(key: &str) -> bool {
        key == " " || key == "Enter"
    }

    /// What it does, in the overlay's words.
    pub fn describe(self) -> String {
        match self {
            Shortcut::Step => "Step: generate one token (Generate, Inside)".into(),
            Shortcut::Back => "Back: undo the last token".into(),
            Shortcut::PlayPause => {
                "Play / Pause generation; on Train: start, pause or resume the run".into()
            }
            Shortcut::Reset => "Reset: start again from the prompt".into(),
            Shortcut::Open(tab) => format!("open the {} tab", tab.label()),
            Shortcut::Presenter => "presenter mode: large type for a projector".into(),
            Shortcut::Help => "show or hide this list".into(),
            Shortcut::Close => "close this list".into(),
        }
    }

    /// The overlay's rows: each shortcut once, with the keys that trigger it as printed.
    pub fn overlay() -> Vec<(String, String)> {
        let mut rows: Vec<(Shortcut, Vec<&str>)> = Vec::new();
        for &(key, shortcut) in KEYS {
            match rows.iter_mut().find(|(s, _)| *s == shortcut) {
                Some((_, keys)) => keys.push(printed(key)),
                None => rows.push((shortcut, vec![printed(key)])),
            }
        }
        let mut rows: Vec<(String, String)> = rows
            .into_iter()
            .map(|(shortcut, keys)| (keys.join(" or "), shortcut.describe()))
            .collect();
        rows.push((GRID_KEYS.0.into(), GRID_KEYS.1.into()));
        rows
    }
}

/// A key as a person reads it.
fn printed(key: &str) -> &str {
    match key {
        "ArrowRight" => "→",
        "ArrowLeft" => "←",
        " " => "Space",
        "Escape" => "Esc",
        other => other,
    }
}

/// Where an arrow key moves the focus in a grid of `rows × columns` cells from `(row, column)`;
/// `None` for other keys and at the grid's edge.
pub fn grid_move(
    key: &str,
    (row, column): (usize, usize),
    (rows, columns): (usize, usize),
) -> Option<(usize, usize)> {
    let (row, column) = match key {
        "ArrowUp" => (row.checked_sub(1)?, column),
        "ArrowDown" => (row + 1, column),
        "ArrowLeft" => (row, column.checked_sub(1)?),
        "ArrowRight" => (row, column + 1),
        _ => return None,
    };
    (row < rows && column < columns).then_some((row, column))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_their_shortcuts() {
        assert_eq!(Shortcut::of_key("ArrowRight"), Some(Shortcut::Step));
        assert_eq!(Shortcut::of_key("n"), Some(Shortcut::Step));
        assert_eq!(Shortcut::of_key(" "), Some(Shortcut::PlayPause));
        assert_eq!(Shortcut::of_key("3"), Some(Shortcut::Open(Tab::Inside)));
        assert_eq!(
            Shortcut::of_key("N"),
            None,
            "shifted letters are not shortcuts"
        );
        assert_eq!(Shortcut::of_key("x"), None);
    }

    #[test]
    fn every_tab_has_a_number_key() {
        for (i, tab) in Tab::ALL.into_iter().enumerate() {
            assert_eq!(
                Shortcut::Open(tab).key(),
                Some((i + 1).to_string().as_str()),
                "{tab:?}"
            );
        }
        assert_eq!(Shortcut::Step.key(), Some("ArrowRight"));
    }

    #[test]
    fn the_overlay_lists_each_shortcut_once_with_all_its_keys() {
        let rows = Shortcut::overlay();
        let step: Vec<_> = rows
            .iter()
            .filter(|(_, what)| what.starts_with("Step"))
            .collect();
        assert_eq!(step.len(), 1);
        assert_eq!(step[0].0, "→ or n");
        assert!(rows.iter().any(|(keys, _)| keys == "Space"));
        assert_eq!(rows.last().unwrap().0, GRID_KEYS.0);
    }

    #[test]
    fn grid_moves_stop_at_the_edges() {
        assert_eq!(grid_move("ArrowRight", (0, 0), (4, 5)), Some((0, 1)));
        assert_eq!(grid_move("ArrowDown", (3, 2), (4, 5)), None);
        assert_eq!(grid_move("ArrowUp", (0, 2), (4, 5)), None);
        assert_eq!(grid_move("ArrowLeft", (1, 0), (4, 5)), None);
        assert_eq!(grid_move("ArrowRight", (1, 4), (4, 5)), None);
        assert_eq!(grid_move("Enter", (1, 1), (4, 5)), None);
    }
}
