//! End-to-end checks of the `glassbox` binary on the shipped model and corpus.
//! The binary is built by `cargo build --release --bins` (scripts/test.sh does it first).

use std::path::PathBuf;
use std::process::{Command, Output};

fn binary() -> PathBuf {
    // target/<profile>/deps/cli-<hash> → target/<profile>/glassbox
    let exe = std::env::current_exe().unwrap();
    let path = exe.parent().unwrap().parent().unwrap().join("glassbox");
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --release --bins` first",
        path.display()
    );
    path
}

fn glassbox(args: &[&str]) -> Output {
    Command::new(binary()).args(args).output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn shipped_model_meets_the_validation_target() {
    let out = glassbox(&["eval"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let loss: f32 = text.split_whitespace().nth(2).unwrap().parse().unwrap();
    assert!(loss <= 1.60, "validation loss {loss} > 1.60: {text}");
}

#[test]
fn greedy_generation_is_deterministic_and_speaks_shakespeare() {
    let args = [
        "generate",
        "--prompt",
        "ROMEO:",
        "--strategy",
        "greedy",
        "--max-new",
        "80",
        "--json",
    ];
    let first = glassbox(&args);
    assert!(first.status.success(), "{}", stderr(&first));
    let json: serde_json::Value = serde_json::from_str(&stdout(&first)).unwrap();
    assert_eq!(json["new_ids"].as_array().unwrap().len(), 80);
    let text = json["new_text"].as_str().unwrap();
    // Recognisably a play: words of English and line breaks.
    assert!(
        text.contains(' ') && text.chars().filter(|c| c.is_ascii_lowercase()).count() > 30,
        "{text:?}"
    );
    assert_eq!(stdout(&glassbox(&args)), stdout(&first));
}

#[test]
fn beam_and_sampling_run_and_explain() {
    let beam = glassbox(&[
        "generate",
        "--prompt",
        "KING:",
        "--strategy",
        "beam",
        "--beams",
        "3",
        "--max-new",
        "10",
        "--json",
    ]);
    assert!(beam.status.success(), "{}", stderr(&beam));
    let json: serde_json::Value = serde_json::from_str(&stdout(&beam)).unwrap();
    assert!(json["sequences_score"].as_f64().unwrap() < 0.0);
    assert_eq!(json["new_ids"].as_array().unwrap().len(), 10);

    let explain = glassbox(&[
        "generate",
        "--prompt",
        "To be",
        "--strategy",
        "sample",
        "--top-k",
        "5",
        "--max-new",
        "3",
        "--explain",
        "--seed",
        "4",
    ]);
    assert!(explain.status.success(), "{}", stderr(&explain));
    assert_eq!(
        stdout(&explain).matches("step ").count(),
        3,
        "{}",
        stdout(&explain)
    );
}

#[test]
fn inspect_prints_the_fixture_fields() {
    let out = glassbox(&["inspect", "--prompt", "HAMLET: To be", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let n = json["input_ids"].as_array().unwrap().len();
    assert_eq!(n, 13);
    assert_eq!(json["tokens"].as_array().unwrap().len(), n);
    assert_eq!(json["topk"].as_array().unwrap().len(), n);
    assert_eq!(json["topk"][0].as_array().unwrap().len(), 10);
    let layers = json["attentions"].as_array().unwrap();
    assert_eq!(layers.len(), 4);
    assert_eq!(layers[0].as_array().unwrap().len(), 4);
    assert_eq!(layers[0][0][n - 1].as_array().unwrap().len(), n);
    assert_eq!(json["hidden_last"].as_array().unwrap().len(), 5);
    assert!(json["loss"].as_f64().unwrap() > 0.0);
    assert!(!json["last_logits"].as_array().unwrap().is_empty());
}

#[test]
fn bad_input_is_one_clear_line_and_a_failure() {
    let cases: [(&[&str], &str); 4] = [
        (&["generate", "--prompt", ""], "prompt is empty"),
        (&["generate", "--prompt", "Zoë says ~hi~"], "'~', 'ë'"),
        (
            &["eval", "--model", "/nonexistent/model.safetensors"],
            "does not exist",
        ),
        (
            &["generate", "--prompt", "x", "--model", "Cargo.toml"],
            "cannot load checkpoint",
        ),
    ];
    for (args, expected) in cases {
        let out = glassbox(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = stderr(&out);
        assert!(err.contains(expected), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn long_prompts_slide_the_window_with_a_note() {
    let prompt = "O Romeo, Romeo! wherefore art thou Romeo? ".repeat(5);
    let out = glassbox(&[
        "generate",
        "--prompt",
        &prompt,
        "--strategy",
        "greedy",
        "--max-new",
        "5",
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).matches("the model sees the last 128").count(),
        1,
        "{}",
        stderr(&out)
    );
}
