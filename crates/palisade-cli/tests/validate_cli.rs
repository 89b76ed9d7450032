//! `palisade validate`: the Wild Rydes CustomizationPost model against valid
//! and hostile customizations; exit codes, JSON pointers, JSON output.

mod common;

use common::*;

const MODEL: &str = r#"{
  "title": "CustomizationPost",
  "type": "object",
  "properties": {
    "name": {"type": "string"},
    "imageUrl": {"type": "string", "pattern": "^https?:\\/\\/[-a-zA-Z0-9@:%_+.~#?&//=]+$"},
    "sock": {"type": "string", "pattern": "^[0-9]*$"},
    "horn": {"type": "string", "pattern": "^[0-9]*$"},
    "glasses": {"type": "string", "pattern": "^[0-9]*$"},
    "cape": {"type": "string", "pattern": "^[0-9]*$"}
  },
  "required": ["name", "imageUrl", "sock", "horn", "glasses", "cape"]
}"#;

const VALID: &str = r#"{"name": "Cherry-themed unicorn", "imageUrl": "https://example.com/unicorn.png",
  "sock": "1", "horn": "2", "glasses": "3", "cape": "4"}"#;

const BAD_URL: &str =
    r#"{"name": "x", "imageUrl": "htt://", "sock": "1", "horn": "2", "glasses": "3", "cape": "4"}"#;

const INJECTION: &str = r#"{"name": "x", "imageUrl": "https://example.com/a.png", "sock": "1", "horn": "2",
  "glasses": "3", "cape": "2); INSERT INTO Cape (NAME,PRICE) VALUES ('Bad color', 10000.00"}"#;

fn setup() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("model.json"), MODEL).expect("model");
    for (name, text) in [
        ("valid.json", VALID),
        ("bad-url.json", BAD_URL),
        ("injection.json", INJECTION),
    ] {
        std::fs::write(dir.path().join(name), text).expect("input");
    }
    let model = dir.path().join("model.json").display().to_string();
    (dir, model)
}

#[test]
fn valid_input_passes_and_hostile_inputs_fail_with_pointers() {
    let (dir, model) = setup();
    let db = dir.path().join("unused.db");
    let path = |n: &str| dir.path().join(n).display().to_string();
    let out = run(&db, &["validate", "--schema", &model, &path("valid.json")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("valid.json: valid"));

    let out = run(
        &db,
        &[
            "validate",
            "--schema",
            &model,
            &path("valid.json"),
            &path("bad-url.json"),
            &path("injection.json"),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("bad-url.json: invalid (1 violation(s))"),
        "{text}"
    );
    assert!(text.contains("  /imageUrl: "), "{text}");
    assert!(
        text.contains("injection.json: invalid (1 violation(s))"),
        "{text}"
    );
    assert!(text.contains("  /cape: "), "{text}");
    assert!(stderr(&out).contains("2 of 3 input(s) invalid"));

    let out = run(
        &db,
        &[
            "--json",
            "validate",
            "--schema",
            &model,
            &path("injection.json"),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let records: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(records[0]["valid"], false);
    assert_eq!(records[0]["violations"][0]["pointer"], "/cape");
}

#[test]
fn a_missing_field_points_at_the_document_and_bad_files_are_errors() {
    let (dir, model) = setup();
    let db = dir.path().join("unused.db");
    let partial = dir.path().join("partial.json");
    std::fs::write(&partial, r#"{"name": "x"}"#).expect("input");
    let out = run(
        &db,
        &[
            "--json",
            "validate",
            "--schema",
            &model,
            partial.to_str().expect("utf-8"),
        ],
    );
    let records: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(records[0]["violations"][0]["pointer"], "");
    assert!(
        records[0]["violations"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("imageUrl")
    );

    // A relative reference resolves next to the model.
    std::fs::write(
        dir.path().join("digits.json"),
        r#"{"type": "string", "pattern": "^[0-9]+$"}"#,
    )
    .expect("model");
    let referring = dir.path().join("referring.json");
    std::fs::write(
        &referring,
        r#"{"properties": {"cape": {"$ref": "digits.json"}}}"#,
    )
    .expect("model");
    let injection = dir.path().join("injection.json");
    let out = run(
        &db,
        &[
            "validate",
            "--schema",
            referring.to_str().expect("utf-8"),
            injection.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("/cape: "), "{}", stdout(&out));
    let escaping = dir.path().join("escaping.json");
    std::fs::write(&escaping, r#"{"$ref": "../outside.json"}"#).expect("model");
    let out = run(
        &db,
        &[
            "validate",
            "--schema",
            escaping.to_str().expect("utf-8"),
            injection.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));

    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{\n\"name\": }").expect("input");
    let out = run(
        &db,
        &[
            "validate",
            "--schema",
            &model,
            broken.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("broken.json:2:"), "{}", stderr(&out));

    let lookaround = dir.path().join("lookaround.json");
    std::fs::write(&lookaround, r#"{"pattern": "(?=x)"}"#).expect("model");
    let out = run(
        &db,
        &[
            "validate",
            "--schema",
            lookaround.to_str().expect("utf-8"),
            broken.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a usable JSON Schema"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_repeated_member_name_is_a_violation_unless_the_last_value_is_asked_for() {
    let (dir, model) = setup();
    let db = dir.path().join("unused.db");
    // Valid by its last `cape`; a reader keeping the first sees the injection.
    let twice = dir.path().join("twice.json");
    std::fs::write(
        &twice,
        VALID.replace(
            r#""cape": "4""#,
            r#""cape": "2); DROP TABLE Cape;--", "cape": "4""#,
        ),
    )
    .expect("input");
    let twice = twice.to_str().expect("utf-8");
    let out = run(&db, &["--json", "validate", "--schema", &model, twice]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let records: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(records[0]["valid"], false);
    assert_eq!(records[0]["violations"][0]["pointer"], "/cape");
    assert_eq!(
        records[0]["violations"][0]["message"],
        "member name \"cape\" appears more than once"
    );
    let out = run(
        &db,
        &[
            "validate",
            "--duplicate-keys",
            "last",
            "--schema",
            &model,
            twice,
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
