//! What the arguments may be. Numbers are checked by clap while it parses (the parsers below), so a
//! bad value is refused in one line naming the argument and the allowed range before any work
//! starts: a batch or an evaluation interval of 0 used to panic deep inside training. Outputs
//! that would overwrite an input are refused by `refuse_overwrite` before anything is read.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

/// Most sequences in one batch: a batch is allocated whole, activations and gradients included,
/// before the first step can fail.
pub const MAX_BATCH: usize = 4096;
/// Most optimizer steps in one run.
pub const MAX_STEPS: usize = 10_000_000;
/// Most beams: every step runs the model on a batch of this many sequences.
pub const MAX_BEAMS: usize = 64;
/// Most generated tokens: every step keeps its record (logits, attention rows and the text so
/// far), so memory grows with the square of this.
pub const MAX_NEW_TOKENS: usize = 10_000;

/// A whole number in `min..=max`.
pub fn between(
    min: usize,
    max: usize,
) -> impl Fn(&str) -> Result<usize, String> + Clone + Send + Sync + 'static {
    move |text| whole(text, min, max, format!("from {min} to {max}"))
}

/// A whole number ≥ `min`.
pub fn at_least(
    min: usize,
) -> impl Fn(&str) -> Result<usize, String> + Clone + Send + Sync + 'static {
    move |text| whole(text, min, usize::MAX, format!("≥ {min}"))
}

fn whole(text: &str, min: usize, max: usize, range: String) -> Result<usize, String> {
    text.parse()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| format!("must be a whole number {range}"))
}

/// A learning rate: a finite number > 0 (0 never moves the weights; NaN or infinity destroys them
/// at the first step).
pub fn learning_rate(text: &str) -> Result<f64, String> {
    text.parse()
        .ok()
        .filter(|v: &f64| v.is_finite() && *v > 0.0)
        .ok_or_else(|| "must be a finite number > 0".into())
}

/// A temperature: a finite number ≥ 0 (0 is greedy decoding).
pub fn temperature(text: &str) -> Result<f32, String> {
    text.parse()
        .ok()
        .filter(|v: &f32| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| "must be a finite number ≥ 0".into())
}

/// A top-p threshold, in (0, 1] (1 keeps every token; 0 would keep none).
pub fn top_p(text: &str) -> Result<f32, String> {
    text.parse()
        .ok()
        .filter(|v: &f32| *v > 0.0 && *v <= 1.0)
        .ok_or_else(|| "must be a number in (0, 1]".into())
}

/// Any finite number (a beam length penalty below 0 favours short beams, which is allowed).
pub fn finite(text: &str) -> Result<f32, String> {
    text.parse()
        .ok()
        .filter(|v: &f32| v.is_finite())
        .ok_or_else(|| "must be a finite number".into())
}

/// Refuses to write `output` (given with `flag`) when it is one of `inputs`, each named by what it
/// is ("the --resume checkpoint"): the input would be replaced by the output, often while it is
/// still being read, and a bad run would leave nothing to go back to.
pub fn refuse_overwrite(flag: &str, output: &Path, inputs: &[(&str, PathBuf)]) -> Result<()> {
    let target = resolved(output);
    if let Some((what, _)) = inputs.iter().find(|(_, input)| resolved(input) == target) {
        bail!(
            "{flag} {} is also {what} and would be overwritten: choose a different {flag}",
            output.display()
        );
    }
    Ok(())
}

/// The path with links and `.`/`..` resolved, to compare two spellings of one file. An output
/// that does not exist yet cannot be canonicalized: its folder is, and its name appended.
fn resolved(path: &Path) -> PathBuf {
    if let Ok(path) = path.canonicalize() {
        return path;
    }
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    match (parent.canonicalize(), path.file_name()) {
        (Ok(parent), Some(name)) => parent.join(name),
        _ => path.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_name_their_bounds() {
        assert_eq!(between(1, 64)("64"), Ok(64));
        assert_eq!(
            between(1, 64)("65"),
            Err("must be a whole number from 1 to 64".into())
        );
        assert!(between(1, 64)("0").is_err());
        assert!(between(1, 64)("-1").is_err());
        assert_eq!(at_least(1)("x"), Err("must be a whole number ≥ 1".into()));
        assert_eq!(at_least(0)("0"), Ok(0));
        for bad in ["0", "-1", "nan", "inf", "-inf", ""] {
            assert!(learning_rate(bad).is_err(), "{bad}");
        }
        assert_eq!(learning_rate("3e-3"), Ok(3e-3));
        assert_eq!(temperature("0"), Ok(0.0));
        assert!(temperature("-0.1").is_err() && temperature("NaN").is_err());
        assert!(top_p("0").is_err() && top_p("1.01").is_err() && top_p("nan").is_err());
        assert_eq!(top_p("1"), Ok(1.0));
        assert_eq!(finite("-2"), Ok(-2.0));
        assert!(finite("inf").is_err());
    }

    #[test]
    fn an_output_is_compared_by_the_file_it_names() {
        let dir = std::env::temp_dir().join(format!("glassbox-args-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let input = dir.join("in.txt");
        std::fs::write(&input, "x").unwrap();
        let inputs = [("the corpus", input.clone())];
        let err = refuse_overwrite("--out", &dir.join(".").join("in.txt"), &inputs).unwrap_err();
        assert!(err.to_string().contains("is also the corpus"), "{err}");
        refuse_overwrite("--out", &dir.join("out.txt"), &inputs).unwrap();
        // Neither exists: still the same file once written.
        let missing = [("the corpus", dir.join("new.txt"))];
        assert!(refuse_overwrite("--out", &dir.join(".").join("new.txt"), &missing).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
