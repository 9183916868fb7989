//! End-to-end checks of the `glassbox` binary on the shipped model and corpus.
//! The binary is built by `cargo build --release --bins` (scripts/test.sh does it first).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SHIPPED_MODEL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/glassbox-shakespeare.safetensors"
);

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

/// A fresh, empty folder for one test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("glassbox-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn the_shipped_f16_model_widens_to_f32_exactly_and_narrows_back_to_the_same_bytes() {
    let dir = scratch("precision");
    let wide = dir.join("wide.safetensors");
    let narrow = dir.join("narrow.safetensors");
    let export = |model: &Path, out: &Path, precision: &str| {
        let out = glassbox(&[
            "export",
            "--model",
            path_str(model),
            "--out",
            path_str(out),
            "--precision",
            precision,
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
    };
    export(Path::new(SHIPPED_MODEL), &wide, "f32");
    export(&wide, &narrow, "f16");
    let shipped = std::fs::read(SHIPPED_MODEL).unwrap();
    let wide_len = std::fs::metadata(&wide).unwrap().len() as f64;
    assert!(
        (1.9..2.1).contains(&(wide_len / shipped.len() as f64)),
        "f32 is twice the f16 file: {wide_len} against {}",
        shipped.len()
    );
    assert_eq!(std::fs::read(&narrow).unwrap(), shipped, "f16 → f32 → f16");
    let greedy = |model: &Path| {
        let args = ["generate", "--model", path_str(model), "--prompt", "KING:"];
        let out = glassbox(&[&args[..], &["--strategy", "greedy", "--max-new", "40"]].concat());
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    assert_eq!(
        greedy(&wide),
        greedy(Path::new(SHIPPED_MODEL)),
        "the same values"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Exit status 1 and exactly one line on stderr, naming `expected`; no panic, no usage text.
fn assert_one_line_failure(args: &[&str], expected: &str) -> String {
    let out = glassbox(args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
    assert!(err.contains(expected), "{args:?}: {err}");
    assert!(err.starts_with("glassbox: "), "{args:?}: {err}");
    assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
    assert!(!err.contains("panicked") && !err.contains("Usage"), "{err}");
    err
}

#[test]
fn bad_input_is_one_clear_line_and_a_failure() {
    let dir = scratch("bad-input");
    // Copies, so that a refusal that failed would overwrite nothing shipped.
    let model = dir.join("model.safetensors");
    std::fs::copy(SHIPPED_MODEL, &model).unwrap();
    let corpus = dir.join("corpus.txt");
    std::fs::write(&corpus, "To be, or not to be, that is the question.\n").unwrap();
    let (model, corpus) = (path_str(&model), path_str(&corpus));
    // The same files spelled differently: outputs are compared by the file they name.
    let same_model = format!("{}/./model.safetensors", dir.display());
    let new_out = format!("{}/new.safetensors", dir.display());
    let csv_out = format!("{}/run.csv", dir.display());
    let train = |extra: &[&'static str]| -> Vec<String> {
        let mut args = vec![
            "train",
            "--steps",
            "1",
            "--out",
            "/nonexistent/x.safetensors",
        ];
        args.extend(extra);
        args.into_iter().map(String::from).collect()
    };
    let generate = |extra: &[&'static str]| -> Vec<String> {
        let mut args = vec!["generate", "--prompt", "x"];
        args.extend(extra);
        args.into_iter().map(String::from).collect()
    };
    let owned = |args: &[&str]| -> Vec<String> { args.iter().map(|a| a.to_string()).collect() };
    let steps = "must be a whole number from 1 to 10000000";
    let batch = "must be a whole number from 1 to 4096";
    let lr = "'--lr <LR>': must be a finite number > 0";
    let cases: Vec<(Vec<String>, &str)> = vec![
        (owned(&["generate", "--prompt", ""]), "prompt is empty"),
        (
            owned(&["generate", "--prompt", "Zoë says ~hi~"]),
            "'~', 'ë'",
        ),
        (
            owned(&["eval", "--model", "/nonexistent/model.safetensors"]),
            "does not exist",
        ),
        (
            owned(&["generate", "--prompt", "x", "--model", "Cargo.toml"]),
            "cannot load checkpoint",
        ),
        (generate(&["--strategy", "nope"]), "unknown strategy `nope`"),
        // clap's own refusals, each on one line.
        (
            owned(&["eval", "--foo"]),
            "unexpected argument '--foo' found",
        ),
        (owned(&["frob"]), "unrecognized subcommand 'frob'"),
        (
            owned(&["train", "--out", "x.safetensors"]),
            "the following required arguments were not provided: --steps <STEPS>",
        ),
        (
            owned(&["generate"]),
            "the following required arguments were not provided: --prompt <PROMPT>",
        ),
        (
            owned(&["eval", "--batch"]),
            "a value is required for '--batch <BATCH>'",
        ),
        // train
        (
            train(&["--eval-every", "0"]),
            "invalid value '0' for '--eval-every <EVAL_EVERY>': must be a whole number ≥ 1",
        ),
        (owned(&["train", "--steps", "0", "--out", "x"]), steps),
        (
            owned(&["train", "--steps", "10000001", "--out", "x"]),
            steps,
        ),
        (train(&["--batch", "0"]), batch),
        (train(&["--batch", "4097"]), batch),
        (train(&["--lr", "0"]), lr),
        (train(&["--lr", "-1"]), lr),
        (train(&["--lr", "nan"]), lr),
        (train(&["--lr", "inf"]), lr),
        (train(&["--lr", "fast"]), lr),
        (
            train(&["--warmup", "-1"]),
            "'--warmup <WARMUP>': must be a whole number ≥ 0",
        ),
        // eval
        (owned(&["eval", "--batch", "0"]), batch),
        // generate
        (
            generate(&["--temperature", "-1"]),
            "'--temperature <TEMPERATURE>': must be a finite number ≥ 0",
        ),
        (
            generate(&["--temperature", "nan"]),
            "must be a finite number ≥ 0",
        ),
        (
            generate(&["--top-p", "0"]),
            "'--top-p <TOP_P>': must be a number in (0, 1]",
        ),
        (generate(&["--top-p", "1.5"]), "must be a number in (0, 1]"),
        (
            generate(&["--top-k", "-1"]),
            "'--top-k <TOP_K>': must be a whole number ≥ 0",
        ),
        (
            generate(&["--beams", "0"]),
            "'--beams <BEAMS>': must be a whole number from 1 to 64",
        ),
        (
            generate(&["--beams", "65"]),
            "must be a whole number from 1 to 64",
        ),
        (
            generate(&["--max-new", "0"]),
            "'--max-new <MAX_NEW>': must be a whole number from 1 to 10000",
        ),
        (
            generate(&["--length-penalty", "inf"]),
            "'--length-penalty <LENGTH_PENALTY>': must be a finite number",
        ),
        // inspect
        (
            owned(&[
                "inspect",
                "--prompt",
                "x",
                "--json",
                "--temperature",
                "-0.5",
            ]),
            "must be a finite number ≥ 0",
        ),
        (
            owned(&["inspect", "--prompt", "x", "--json", "--top-p", "2"]),
            "must be a number in (0, 1]",
        ),
        // bench, bench-gpt2, experiment
        (owned(&["bench", "--train-steps", "0"]), steps),
        (owned(&["bench", "--batch", "0"]), batch),
        (
            owned(&["bench", "--gen-tokens", "0"]),
            "'--gen-tokens <GEN_TOKENS>': must be a whole number ≥ 1",
        ),
        (
            owned(&["bench-gpt2", "--prompt-tokens", "1025"]),
            "'--prompt-tokens <PROMPT_TOKENS>': must be a whole number from 1 to 1024",
        ),
        (owned(&["experiment", "heads", "--steps", "0"]), steps),
        (owned(&["experiment", "heads", "--batch", "0"]), batch),
        (owned(&["experiment", "heads", "--lr", "-0.1"]), lr),
        (
            owned(&["experiment", "heads", "--eval-every", "0"]),
            "must be a whole number ≥ 1",
        ),
        // Outputs that would overwrite an input.
        (
            owned(&[
                "train",
                "--steps",
                "1",
                "--resume",
                model,
                "--out",
                &same_model,
            ]),
            "is also the --resume checkpoint and would be overwritten: choose a different --out",
        ),
        (
            owned(&["train", "--steps", "1", "--corpus", corpus, "--out", corpus]),
            "is also the corpus and would be overwritten: choose a different --out",
        ),
        (
            owned(&[
                "train", "--steps", "1", "--corpus", corpus, "--out", &new_out, "--curve", corpus,
            ]),
            "is also the corpus and would be overwritten: choose a different --curve",
        ),
        (
            owned(&[
                "train", "--steps", "1", "--resume", model, "--out", &new_out, "--curve", model,
            ]),
            "is also the --resume checkpoint and would be overwritten: choose a different --curve",
        ),
        (
            owned(&[
                "train", "--steps", "1", "--corpus", corpus, "--out", &csv_out,
            ]),
            "is also the --out checkpoint and would be overwritten: choose a different --curve",
        ),
        (
            owned(&["export", "--model", model, "--out", &same_model]),
            "is also the --model checkpoint and would be overwritten: choose a different --out",
        ),
        (
            owned(&["bench", "--model", model, "--out", &same_model]),
            "is also the model and would be overwritten",
        ),
        (
            owned(&["experiment", "heads", "--corpus", corpus, "--csv", corpus]),
            "is also the corpus and would be overwritten: choose a different --csv",
        ),
    ];
    let shipped = std::fs::read(SHIPPED_MODEL).unwrap();
    for (args, expected) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_one_line_failure(&args, expected);
    }
    assert_eq!(
        std::fs::read(model).unwrap(),
        shipped,
        "the input was rewritten"
    );
    assert_eq!(
        std::fs::read_to_string(corpus).unwrap(),
        "To be, or not to be, that is the question.\n"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn help_and_version_are_not_failures() {
    for args in [&["--help"][..], &["train", "--help"], &["--version"]] {
        let out = glassbox(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(!stdout(&out).is_empty(), "{args:?}");
    }
}

#[test]
fn bench_gpt2_leaves_a_scratch_folder_in_use_alone() {
    let dir = scratch("bench-gpt2");
    let notes = dir.join("notes.txt");
    std::fs::write(&notes, "not the benchmark's").unwrap();
    let report = dir.join("report.json");
    let err = assert_one_line_failure(
        &[
            "bench-gpt2",
            "--scratch",
            path_str(&dir),
            "--out",
            path_str(&report),
        ],
        "is not empty",
    );
    assert!(err.contains("--scratch"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&notes).unwrap(),
        "not the benchmark's"
    );
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["notes.txt"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bench_gpt2_removes_only_what_it_created() {
    let dir = scratch("bench-gpt2-run");
    let empty = dir.join("empty");
    std::fs::create_dir(&empty).unwrap();
    let created = dir.join("created");
    for (scratch, report) in [(&empty, "empty.json"), (&created, "created.json")] {
        let report = dir.join(report);
        let out = glassbox(&[
            "bench-gpt2",
            "--scratch",
            path_str(scratch),
            "--out",
            path_str(&report),
            "--prompt-tokens",
            "2",
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(report.exists());
    }
    // The folder that was there stays, emptied of the model; the one the run created is gone.
    assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0);
    assert!(!created.exists());
    std::fs::remove_dir_all(&dir).unwrap();
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
