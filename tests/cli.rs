//! The `starcoach` binary as a user runs it: ingest, match --json, clear errors.

mod common;

use std::process::Command;

fn starcoach(store: &std::path::Path) -> Command {
    common::starcoach_command(store)
}

#[test]
fn ingest_and_match_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let out = starcoach(&store)
        .args(["ingest", "corpus", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["counts"]["added"].as_u64().unwrap() > 10);
    assert!(report["chunks_embedded"].as_u64().unwrap() > 10);

    let out = starcoach(&store)
        .args([
            "match",
            "Tell me about a time you mentored someone",
            "--top",
            "2",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let response: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(response["stories"].as_array().unwrap().len(), 2);

    let out = starcoach(&store)
        .args(["match", "Tell me about a time you mentored someone"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(" 1. ") && text.contains("best passage"),
        "{text}"
    );
}

/// The human output explains a fit level above a better-ranked story exactly when one
/// occurs, and embedded Qdrant's start-up warnings stay off the terminal.
#[test]
fn match_output_explains_levels_out_of_rank_order_and_stays_quiet() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let out = starcoach(&store)
        .env_remove("RUST_LOG")
        .args(["ingest", "corpus"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("Feature flags"), "{stderr}");
    assert!(!stderr.contains("MULTI_MMAP"), "{stderr}");

    let level = |s: &serde_json::Value| match s["fit"].as_str().unwrap() {
        "strong" => 2,
        "workable" => 1,
        _ => 0,
    };
    for question in [
        "Tell me about a time you had to deliver bad news to a customer",
        "Tell me about a time you mentored someone",
        "Describe a time you disagreed with your manager",
    ] {
        let json = starcoach(&store)
            .args(["match", question, "--json"])
            .output()
            .unwrap();
        let response: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
        let levels: Vec<i32> = response["stories"]
            .as_array()
            .unwrap()
            .iter()
            .map(level)
            .collect();
        let out_of_order = levels.windows(2).any(|w| w[0] < w[1]);
        let out = starcoach(&store)
            .env_remove("RUST_LOG")
            .args(["match", question])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            text.contains("a story ranked lower can fit better"),
            out_of_order,
            "{question}: levels {levels:?}\n{text}"
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("Feature flags"), "{stderr}");
    }
}

#[test]
fn bad_input_exits_non_zero_with_a_message() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let out = starcoach(&store)
        .args(["match", "q", "--top", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--top"));

    let out = starcoach(&store).args(["match", "  "]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));

    let out = starcoach(&store)
        .args(["ingest", "no/such/dir"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such/dir"));
}

#[test]
fn a_second_process_gets_a_clear_lock_error() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let _open = common::coach(&store);
    let out = starcoach(&store)
        .args(["match", "any question"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("in use by another starcoach process"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_missing_model_names_the_command_that_fixes_it() {
    let tmp = tempfile::tempdir().unwrap();
    let out = starcoach(&tmp.path().join("store"))
        .env(
            "STARCOACH__EMBEDDING__MODEL_DIR",
            tmp.path().join("no-model"),
        )
        .args(["match", "any question"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("scripts/setup-model.sh"));
}

#[test]
fn critique_from_the_command_line_prints_a_report_or_json_and_rejects_bad_files() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let out = starcoach(&store)
        .args(["ingest", "corpus"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fixture = "tests/fixtures/critique/priya_for_manager.vtt";

    // No LLM configured: the deterministic critique, saying so.
    let out = starcoach(&store)
        .env("STARCOACH__LLM__BASE_URL", "")
        .args(["critique", fixture, "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let critique: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(critique["llm"], "unavailable");
    assert_eq!(critique["format"], "vtt");
    assert_eq!(
        critique["grounding"]["better_story"]["title"],
        "Pushing back on the Argo CD migration deadline"
    );

    let out = starcoach(&store)
        .env("STARCOACH__LLM__BASE_URL", "")
        .args([
            "critique",
            fixture,
            "--question",
            "Tell me about a conflict with a peer",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    for part in [
        "Scores (1-5, 3 = competent)",
        "Three changes",
        "Outline:",
        "Measured:",
    ] {
        assert!(text.contains(part), "{part} missing in:\n{text}");
    }

    let bad = tmp.path().join("bad.vtt");
    std::fs::write(&bad, "WEBVTT\n\n00:00:09.000 --> 00:00:01.000\nhello\n").unwrap();
    let out = starcoach(&store)
        .args(["critique", "--question", "q"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.vtt") && err.contains("line 3"), "{err}");

    let out = starcoach(&store)
        .args(["critique", "no-such-file.txt"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Bad settings stop every command at start-up with exit code 2 and the key at fault,
/// before any request could fail on them.
#[test]
fn bad_settings_stop_start_up_with_exit_code_2_naming_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let garbage = tmp.path().join("competencies.toml");
    std::fs::write(&garbage, "[[competency]]\nid = \"x\"\n").unwrap();
    let zeros = "0".repeat(64);
    let cases = [
        (
            format!(
                "[retrieval]\ncompetencies_file = {:?}\n",
                garbage.to_str().unwrap()
            ),
            vec!["match", "Tell me about a conflict"],
            "retrieval.competencies_file",
        ),
        (
            "[retrieval]\ncompetencies_file = \"/nonexistent/competencies.toml\"\n".to_string(),
            vec!["coverage"],
            "retrieval.competencies_file",
        ),
        (
            format!("[[server.api_keys]]\nuser = \"dana@x\"\nkey_sha256 = \"{zeros}\"\n"),
            vec!["serve"],
            "server.api_keys[0].user",
        ),
        (
            "[[server.api_keys]]\nuser = \"dana\"\nkey_sha256 = \"sk-raw-key-pasted\"\n"
                .to_string(),
            vec!["serve"],
            "server.api_keys[0].key_sha256",
        ),
    ];
    for (i, (local, args, key)) in cases.iter().enumerate() {
        let config = tmp.path().join(format!("config-{i}"));
        std::fs::create_dir_all(&config).unwrap();
        std::fs::copy(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/default.toml"),
            config.join("default.toml"),
        )
        .unwrap();
        std::fs::write(config.join("local.toml"), local).unwrap();
        let out = starcoach(&store)
            .arg("--config-dir")
            .arg(&config)
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(key), "{key} missing from: {stderr}");
        assert!(!stderr.contains("sk-raw-key-pasted"), "{stderr}");
    }
}

/// EmbeddingGemma end to end: refused on a MiniLM store with the fix named, then
/// `starcoach reindex` moves the store to it and it matches (needs `bash scripts/setup-model.sh embeddinggemma
/// --accept-gemma-terms`; skipped without it unless the model is required).
#[test]
fn another_model_is_refused_on_a_store_it_did_not_write_until_reindex_moves_the_store() {
    use starcoach::embed::{model_cache_dir, EmbeddingModel};
    let gemma_dir = model_cache_dir(EmbeddingModel::Embeddinggemma);
    if !gemma_dir.join("model.safetensors").is_file() {
        assert!(
            std::env::var_os("STARCOACH_REQUIRE_MODEL").is_none(),
            "EmbeddingGemma is required but missing at {}",
            gemma_dir.display()
        );
        eprintln!("SKIPPED: no EmbeddingGemma at {}", gemma_dir.display());
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let minilm_store = tmp.path().join("minilm");
    let out = starcoach(&minilm_store)
        .args(["ingest", "corpus/story-bank.md"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let gemma = |store: &std::path::Path| {
        let mut cmd = starcoach(store);
        cmd.env("STARCOACH__EMBEDDING__MODEL", "embeddinggemma")
            .env("STARCOACH__EMBEDDING__MODEL_DIR", &gemma_dir);
        cmd
    };
    let out = gemma(&minilm_store)
        .args([
            "match",
            "Tell me about a time you disagreed with your manager",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("[embedding] model"), "{stderr}");
    assert!(stderr.contains("starcoach reindex"), "{stderr}");
    // The MiniLM store is untouched and still answers.
    let out = starcoach(&minilm_store)
        .args([
            "match",
            "Tell me about a time you disagreed with your manager",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // `starcoach reindex` moves the store to EmbeddingGemma from its stored text.
    let out = gemma(&minilm_store)
        .args(["reindex", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["status"], "reindexed", "{report}");
    assert_eq!(report["to_model"], "google/embeddinggemma-300m", "{report}");
    assert!(report["chunks"].as_u64().unwrap() > 0, "{report}");
    let out = gemma(&minilm_store)
        .args([
            "match",
            "Tell me about a time you disagreed with your manager",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let first = &answer["stories"][0];
    assert!(first["title"].as_str().is_some(), "{answer}");
    assert_eq!(
        std::fs::read_to_string(minilm_store.join("starcoach-embedding-model"))
            .unwrap()
            .trim(),
        "google/embeddinggemma-300m"
    );
    // Now MiniLM is the one refused, with the same advice.
    let out = starcoach(&minilm_store)
        .args([
            "match",
            "Tell me about a time you disagreed with your manager",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("starcoach reindex"), "{stderr}");
}
