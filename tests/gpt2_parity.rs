//! GPT-2 parity with Hugging Face `transformers`: the random-weight `gpt2-tiny` folder in
//! `tests/fixtures/` (made by `make_gpt2_fixtures.py`, see its README) against its `reference.json`.
//! Checked twice: through the model crate's API, and through `glassbox … --json` (the CLI binary is
//! built by `cargo build --release --bins`, which scripts/test.sh runs first). Settings (new tokens,
//! beams, warpers) are read from the reference file.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::LazyLock;

use burn::tensor::Device;
use glassbox_model::analysis::inspect::inspect;
use glassbox_model::io::hf;
use glassbox_model::readback::block_on;
use glassbox_model::{Checkpoint, DecodeSettings, DecodeStages, Generator, Gpt, Strategy};
use serde_json::{Value, json};

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gpt2-tiny")
}

static REFERENCE: LazyLock<Value> = LazyLock::new(|| {
    let text = std::fs::read_to_string(fixture_dir().join("reference.json")).unwrap();
    serde_json::from_str(&text).unwrap()
});

static MODEL: LazyLock<(Checkpoint, Gpt)> = LazyLock::new(|| {
    let checkpoint = hf::load_folder(&fixture_dir()).unwrap();
    let model = checkpoint.to_model(&Device::flex()).unwrap();
    (checkpoint, model)
});

fn prompts() -> &'static [Value] {
    REFERENCE["prompts"].as_array().unwrap()
}

/// The reference prompt's tokens, as our tokenizer splits them.
fn prompt_ids(reference: &Value) -> Vec<u32> {
    MODEL
        .0
        .tokenizer
        .encode(reference["text"].as_str().unwrap())
        .unwrap()
}

fn setting(name: &str) -> f64 {
    REFERENCE["settings"][name].as_f64().unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// Largest difference between two equally shaped nested number arrays.
fn max_diff(a: &Value, b: &Value, what: &str) -> f64 {
    match (a, b) {
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{what}: lengths differ");
            a.iter()
                .zip(b)
                .map(|(a, b)| max_diff(a, b, what))
                .fold(0.0, f64::max)
        }
        _ => (a.as_f64().unwrap() - b.as_f64().unwrap()).abs(),
    }
}

fn assert_close(ours: &Value, reference: &Value, tolerance: f64, what: &str) {
    let diff = max_diff(ours, reference, what);
    assert!(
        diff <= tolerance,
        "{what}: off by {diff:e} (bar {tolerance:e})"
    );
}

/// `inspect --json`'s fields against one reference prompt.
fn check_inspection(ours: &Value, reference: &Value) {
    let text = reference["text"].as_str().unwrap();
    assert_eq!(ours["input_ids"], reference["input_ids"], "ids of {text:?}");
    assert_eq!(ours["tokens"], reference["tokens"], "tokens of {text:?}");
    assert_close(
        &ours["last_logits"],
        &reference["last_logits"],
        1e-4,
        "last_logits",
    );
    for (t, (ours, reference)) in ours["topk"]
        .as_array()
        .unwrap()
        .iter()
        .zip(reference["topk"].as_array().unwrap())
        .enumerate()
    {
        // The same ids in the same order, except that two logits transformers itself puts
        // within float noise (1e-5) of each other may come in either order.
        let pairs = |v: &Value| -> Vec<(u64, f64)> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|p| (p[0].as_u64().unwrap(), p[1].as_f64().unwrap()))
                .collect()
        };
        let (ours, reference) = (pairs(ours), pairs(reference));
        assert_eq!(ours.len(), reference.len());
        for (i, (&(id, value), &(ref_id, ref_value))) in ours.iter().zip(&reference).enumerate() {
            let tied = reference
                .iter()
                .find(|&&(other, _)| other == id)
                .is_some_and(|&(_, v)| (v - ref_value).abs() <= 1e-5);
            assert!(
                id == ref_id || tied,
                "top-10 ids at position {t} of {text:?}: #{i} is {id}, transformers has {ref_id}"
            );
            let expected = reference.iter().find(|&&(other, _)| other == id).unwrap().1;
            assert!(
                (value - expected).abs() <= 1e-4,
                "topk: id {id} has {value}, transformers {expected}"
            );
        }
    }
    assert_close(
        &ours["attentions"],
        &reference["attentions"],
        1e-5,
        "attentions",
    );
    assert_close(
        &ours["hidden_last"],
        &reference["hidden_last"],
        1e-4,
        "hidden_last",
    );
    match reference["loss"].as_f64() {
        Some(loss) => assert!(
            (ours["loss"].as_f64().unwrap() - loss).abs() <= 5e-5,
            "loss {} vs {loss} for {text:?}",
            ours["loss"]
        ),
        None => assert!(ours["loss"].is_null(), "one token has no loss"),
    }
}

/// A warped distribution (`[[id, prob], …]`, most likely first) against the reference: the same
/// tokens with the same probabilities (the order of near-equal ones may differ by float error).
/// Where the reference's top-p margin is below float error, the boundary token (the least likely
/// kept) may be kept or dropped: then it is left out of the comparison.
fn check_filtered(ours: &Value, reference: &Value, margin: Option<f64>, what: &str) {
    let by_id = |v: &Value| -> BTreeMap<u64, f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_u64().unwrap(), p[1].as_f64().unwrap()))
            .collect()
    };
    let (mut ours, mut reference) = (by_id(ours), by_id(reference));
    if margin.is_some_and(|m| m <= 1e-6) {
        for side in [&mut ours, &mut reference] {
            let least = side
                .iter()
                .min_by(|a, b| a.1.total_cmp(b.1))
                .map(|(&id, _)| id);
            side.remove(&least.unwrap());
        }
    }
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        reference.keys().collect::<Vec<_>>(),
        "{what}: kept tokens"
    );
    for (id, p) in &ours {
        let diff = (p - reference[id]).abs();
        assert!(
            diff <= 1e-5,
            "{what}: token {id} has probability {p} vs {}",
            reference[id]
        );
    }
}

/// The sampling transforms stored for one prompt, by name, with their settings.
fn sampling_cases() -> Vec<(&'static str, DecodeSettings)> {
    let (temperature, top_k, top_p) = (
        setting("temperature") as f32,
        setting("top_k") as usize,
        setting("top_p") as f32,
    );
    let base = DecodeSettings {
        strategy: Strategy::Sample,
        ..DecodeSettings::default()
    };
    vec![
        (
            "temperature_0.7_top_k_20",
            DecodeSettings {
                temperature,
                top_k,
                ..base.clone()
            },
        ),
        (
            "top_p_0.9",
            DecodeSettings {
                top_p,
                ..base.clone()
            },
        ),
        (
            "temperature_0.7_top_p_0.9",
            DecodeSettings {
                temperature,
                top_p,
                ..base.clone()
            },
        ),
        (
            "temperature_0.7_top_k_20_top_p_0.9",
            DecodeSettings {
                temperature,
                top_k,
                top_p,
                ..base
            },
        ),
    ]
}

fn margin(reference: &Value, case: &str) -> Option<f64> {
    reference["sampling"]["margins"][case]["margin"].as_f64()
}

#[test]
fn library_forward_pass_and_sampling_match_transformers() {
    let (checkpoint, model) = &*MODEL;
    for reference in prompts() {
        let ids = prompt_ids(reference);
        let inspection = block_on(inspect(model, &checkpoint.tokenizer, &ids)).unwrap();
        check_inspection(&serde_json::to_value(&inspection).unwrap(), reference);
        for (case, settings) in sampling_cases() {
            let ours = DecodeStages::new(&inspection.last_logits, &settings).nonzero();
            check_filtered(
                &json!(ours),
                &reference["sampling"][case],
                margin(reference, case),
                case,
            );
        }
    }
}

/// Continues `ids` as the CLI does; returns the new ids and, for beam search, the score.
fn continue_prompt(strategy: Strategy, ids: Vec<u32>, max_new: usize) -> (Vec<u32>, Option<f32>) {
    let (checkpoint, model) = &*MODEL;
    let settings = DecodeSettings {
        strategy,
        beam_width: setting("num_beams") as usize,
        length_penalty: setting("length_penalty") as f32,
        ..DecodeSettings::default()
    };
    let mut generator = Generator::new(model.clone(), ids, settings).unwrap();
    generator.max_new_tokens = max_new;
    generator.end_of_text = checkpoint.tokenizer.end_of_text();
    while generator.generated().len() < max_new && !generator.is_done() {
        block_on(generator.step()).unwrap();
    }
    match generator.best_beam() {
        Some(best) => (best.tokens, Some(best.score)),
        None => (generator.generated().to_vec(), None),
    }
}

#[test]
fn library_greedy_and_beam_search_match_transformers() {
    for reference in prompts() {
        let ids: Vec<u32> = floats(&reference["input_ids"])
            .iter()
            .map(|&x| x as u32)
            .collect();
        let (greedy, _) = continue_prompt(
            Strategy::Greedy,
            ids.clone(),
            setting("greedy_new") as usize,
        );
        assert_eq!(
            json!(greedy),
            reference["greedy"]["new_ids"],
            "greedy for {}",
            reference["text"]
        );
        let (beam, score) = continue_prompt(Strategy::Beam, ids, setting("beam_new") as usize);
        assert_eq!(
            json!(beam),
            reference["beam"]["new_ids"],
            "beam for {}",
            reference["text"]
        );
        let expected = reference["beam"]["sequences_score"].as_f64().unwrap();
        assert!(
            (score.unwrap() as f64 - expected).abs() <= 1e-4,
            "score {score:?} vs {expected}"
        );
    }
}

fn glassbox(args: &[&str]) -> Value {
    let exe = std::env::current_exe().unwrap();
    let binary = exe.parent().unwrap().parent().unwrap().join("glassbox");
    let dir = fixture_dir();
    let out = Command::new(&binary)
        .args(args)
        .args(["--model", dir.to_str().unwrap(), "--json"])
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (run `cargo build --release --bins`)",
                binary.display()
            )
        });
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn cli_json_matches_transformers() {
    let (temperature, top_k, top_p) = (
        setting("temperature").to_string(),
        setting("top_k").to_string(),
        setting("top_p").to_string(),
    );
    let (greedy_new, beam_new, beams) = (
        setting("greedy_new").to_string(),
        setting("beam_new").to_string(),
        setting("num_beams").to_string(),
    );
    let combined = "temperature_0.7_top_k_20_top_p_0.9";
    for reference in prompts() {
        let text = reference["text"].as_str().unwrap();
        let inspected = glassbox(&[
            "inspect",
            "--prompt",
            text,
            "--temperature",
            &temperature,
            "--top-k",
            &top_k,
            "--top-p",
            &top_p,
        ]);
        check_inspection(&inspected, reference);
        check_filtered(
            &inspected["filtered_probs"],
            &reference["sampling"][combined],
            margin(reference, combined),
            combined,
        );
        let top_p_only = glassbox(&["inspect", "--prompt", text, "--top-p", &top_p]);
        check_filtered(
            &top_p_only["filtered_probs"],
            &reference["sampling"]["top_p_0.9"],
            margin(reference, "top_p_0.9"),
            "top_p_0.9",
        );

        let generate = |strategy: &str, max_new: &str| {
            glassbox(&[
                "generate",
                "--prompt",
                text,
                "--strategy",
                strategy,
                "--max-new",
                max_new,
                "--beams",
                &beams,
            ])
        };
        let beam = generate("beam", &beam_new);
        for (strategy, out) in [
            ("greedy", &generate("greedy", &greedy_new)),
            ("beam", &beam),
        ] {
            for field in ["new_ids", "new_text"] {
                assert_eq!(
                    out[field], reference[strategy][field],
                    "{strategy} {field} for {text:?}"
                );
            }
        }
        assert_close(
            &beam["sequences_score"],
            &reference["beam"]["sequences_score"],
            1e-4,
            "sequences_score",
        );
    }
}

/// The analysis views on an imported GPT-2: the logit lens ends at the model's own prediction
/// and the teacher-forced pass gives `transformers`' loss.
#[test]
fn analyses_of_a_gpt2_model_end_where_transformers_does() {
    use glassbox_model::analysis::ablation::rank_heads;
    use glassbox_model::analysis::lens::logit_lens;
    use glassbox_model::analysis::teacher_forcing::teacher_forced;
    let model = &MODEL.1;
    for reference in prompts() {
        let ids = prompt_ids(reference);
        let last = ids.len() - 1;
        let lens = block_on(logit_lens(model, &ids, last, None, 5)).unwrap();
        assert_eq!(lens.rows.len(), model.n_layer() + 1);
        let top = lens.rows.last().unwrap().top[0].0;
        assert_eq!(
            top as u64,
            reference["topk"][last][0][0].as_u64().unwrap(),
            "the lens's last layer predicts what the model predicts"
        );
        let forced = block_on(teacher_forced(model, &ids, 3)).unwrap();
        if let Some(loss) = reference["loss"].as_f64() {
            let ours = forced.loss.unwrap() as f64;
            assert!((ours - loss).abs() < 5e-5, "loss {ours} vs {loss}");
        }
    }
    let ids = prompt_ids(&prompts()[0]);
    let ranking = block_on(rank_heads(model, &ids)).unwrap();
    assert_eq!(ranking.len(), model.n_layer() * model.n_head());
    assert_eq!(ranking, block_on(rank_heads(model, &ids)).unwrap());
}
