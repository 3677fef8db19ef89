//! `btsops keys` and `btsops tx` as an operator runs them: a process, stdin, exit codes.

mod support;

use std::io::{Seek, SeekFrom, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

fn vectors(name: &str) -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// Longest a btsops run may take here before it is killed and the test fails.
const LIMIT: Duration = Duration::from_secs(20);

/// Runs btsops with `stdin` (from a file, so nothing waits on a pipe writer),
/// returning (exit code, stdout, stderr).
fn run(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut input = tempfile::tempfile().unwrap();
    input.write_all(stdin.as_bytes()).unwrap();
    input.seek(SeekFrom::Start(0)).unwrap();
    let out = support::process::output_within(
        Command::new(env!("CARGO_BIN_EXE_btsops"))
            .args(args)
            .stdin(input),
        LIMIT,
    );
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn key_file(dir: &Path, mode: u32, content: &str) -> PathBuf {
    let p = dir.join(format!("keys-{mode:o}.wif"));
    std::fs::write(&p, content).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    p
}

#[test]
fn keys_derive_matches_the_password_key_vectors() {
    let v = vectors("keys.json");
    for entry in v["password_keys"].as_array().unwrap() {
        let account = entry["account"].as_str().unwrap();
        let password = entry["password"].as_str().unwrap();
        let role = entry["role"].as_str().unwrap();
        for (prefix, field) in [("BTS", "public_key_BTS"), ("TEST", "public_key_TEST")] {
            let (code, out, _) = run(
                &[
                    "keys",
                    "derive",
                    "--account",
                    account,
                    "--password-stdin",
                    "--prefix",
                    prefix,
                    "--json",
                    "--show-private",
                ],
                &format!("{password}\n"),
            );
            assert_eq!(code, 0);
            let j: Value = serde_json::from_str(&out).unwrap();
            assert_eq!(
                j["keys"][role]["public"], entry[field],
                "{account}/{role}/{prefix}"
            );
            assert_eq!(j["keys"][role]["wif"], entry["wif"]);
        }
    }
}

#[test]
fn keys_derive_text_hides_private_keys_unless_asked() {
    let (code, out, err) = run(
        &["keys", "derive", "--account", "alice", "--password-stdin"],
        "P5test\n",
    );
    assert_eq!(code, 0);
    let lines: Vec<_> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[0].starts_with("owner  BTS8bEEdJiQURt9Wx6ZyocnzUoBk4hTVMdvto9Sqw2sNm8K7532sz"),
        "{out}"
    );
    assert!(!out.contains("5KRREuVGT9pzWSVGLYZTVQGzVgLXgmcEbX25WcULSKVdkk75Pqe"));
    assert!(err.contains("shorter than 12"), "{err}");
    let (_, out, _) = run(
        &[
            "keys",
            "derive",
            "--account",
            "alice",
            "--password-stdin",
            "--show-private",
        ],
        "P5test\n",
    );
    assert!(
        out.contains("5KRREuVGT9pzWSVGLYZTVQGzVgLXgmcEbX25WcULSKVdkk75Pqe"),
        "{out}"
    );

    let (code, _, err) = run(
        &["keys", "derive", "--account", "alice", "--password-stdin"],
        "",
    );
    assert_eq!(code, 1);
    assert!(err.contains("empty password"), "{err}");
    let (code, _, err) = run(
        &[
            "keys",
            "derive",
            "--account",
            "alice",
            "--password-stdin",
            "--prefix",
            "B1S",
        ],
        "pw\n",
    );
    assert_eq!(code, 1);
    assert!(err.contains("--prefix"), "{err}");
}

#[test]
fn keys_pub_reads_a_wif_and_rejects_a_bad_checksum() {
    let v = vectors("keys.json");
    let fixed = &v["fixed_key"];
    let (code, out, _) = run(
        &["keys", "pub", "--wif-stdin", "--prefix", "TEST"],
        &format!("{}\n", fixed["wif"].as_str().unwrap()),
    );
    assert_eq!(code, 0);
    assert_eq!(out.trim(), fixed["public_key_TEST"].as_str().unwrap());
    let mut bad = fixed["wif"].as_str().unwrap().to_string();
    let last = bad.pop().unwrap();
    bad.push(if last == 'z' { 'y' } else { 'z' });
    let (code, _, err) = run(&["keys", "pub", "--wif-stdin"], &bad);
    assert_eq!(code, 1);
    assert!(err.contains("WIF"), "{err}");
}

/// The vector's signature under our signer's scheme (libsecp256k1 ndata counter, see
/// canonical_signature.json): listed as such where it differs from bitsharesjs's; where
/// the first attempt is already canonical (n=0) both schemes give `expected_signatures`.
fn ndata_signature(v: &Value) -> Value {
    let listed = v["other_valid_signatures"].as_array().and_then(|a| {
        a.iter()
            .find(|s| {
                s["source"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("libsecp256k1 ndata-counter"))
            })
            .map(|s| s["signature_hex"].clone())
    });
    listed.unwrap_or_else(|| {
        let scheme = v["expected_signature_scheme"].as_str().unwrap_or_default();
        assert!(
            scheme.contains("here n=0"),
            "no ndata signature in the vector: {scheme}"
        );
        v["expected_signatures"][0].clone()
    })
}

#[test]
fn tx_hex_id_and_sign_match_the_transfer_and_account_create_vectors() {
    let dir = tempfile::tempdir().unwrap();
    let fixed_wif = vectors("keys.json")["fixed_key"]["wif"]
        .as_str()
        .unwrap()
        .to_string();
    let keys = key_file(
        dir.path(),
        0o600,
        &format!("# signer\n{fixed_wif}  # the fixed key\n\n{fixed_wif}#again\n"),
    );
    for name in ["transfer_tx.json", "account_create_tx.json"] {
        let v = vectors(name);
        let unsigned = v["unsigned_tx"].to_string();
        let chain_id = v["chain_id"].as_str().unwrap();

        let (code, out, _) = run(&["tx", "hex", "--without-sig"], &unsigned);
        assert_eq!(code, 0);
        assert_eq!(out.trim(), v["serialized_hex"], "{name}");
        let (_, out, _) = run(&["tx", "hex"], &unsigned);
        assert_eq!(
            out.trim(),
            v["serialized_hex_with_empty_signature_vector"],
            "{name}"
        );

        let tx_id = v["tx_id"].as_str().unwrap();
        let digest = v["digest_hex"].as_str().unwrap();
        let (code, out, err) = run(&["tx", "id", "--chain-id", chain_id], &unsigned);
        assert_eq!(code, 0);
        assert!(
            err.is_empty(),
            "a valid transaction draws no warning: {err}"
        );
        let lines: Vec<_> = out.lines().collect();
        assert_eq!(
            lines,
            [format!("id     {tx_id}"), format!("digest {digest}")],
            "{name}"
        );
        let (_, out, _) = run(&["tx", "id"], &unsigned);
        assert_eq!(out, format!("id     {tx_id}\n"), "{name}");
        let (code, out, _) = run(&["tx", "id", "--chain-id", chain_id, "--json"], &unsigned);
        assert_eq!(code, 0);
        let j: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            j,
            serde_json::json!({"id": tx_id, "digest": digest}),
            "{name}"
        );
        let (_, out, _) = run(&["tx", "id", "--json"], &unsigned);
        let j: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(j, serde_json::json!({"id": tx_id}), "{name}");

        // The same key listed twice signs once: the node rejects duplicate signatures.
        let (code, out, err) = run(
            &[
                "tx",
                "sign",
                "--chain-id",
                chain_id,
                "--wif-file",
                keys.to_str().unwrap(),
            ],
            &unsigned,
        );
        assert_eq!(code, 0, "{err}");
        let signed: Value = serde_json::from_str(&out).unwrap();
        let sigs = signed["signatures"].as_array().unwrap();
        assert_eq!(sigs.len(), 1);
        // The signed JSON carries the same body: its hex is the vector's.
        let (_, hex_out, _) = run(&["tx", "hex", "--without-sig"], &out);
        assert_eq!(hex_out.trim(), v["serialized_hex"]);
        // The whole signature, not just its recovery byte: deterministic signing gives
        // the vector's bytes exactly.
        assert_eq!(sigs[0], ndata_signature(&v), "{name}");
    }
}

#[test]
fn key_files_open_to_group_or_others_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let v = vectors("transfer_tx.json");
    let unsigned = v["unsigned_tx"].to_string();
    let wif = vectors("keys.json")["fixed_key"]["wif"]
        .as_str()
        .unwrap()
        .to_string();
    for mode in [0o640, 0o604, 0o644] {
        let p = key_file(dir.path(), mode, &wif);
        let (code, out, err) = run(
            &[
                "tx",
                "sign",
                "--chain-id",
                v["chain_id"].as_str().unwrap(),
                "--wif-file",
                p.to_str().unwrap(),
            ],
            &unsigned,
        );
        assert_eq!(code, 1);
        assert!(out.is_empty());
        assert!(
            err.contains(p.to_str().unwrap()) && err.contains(&format!("{mode:04o}")),
            "{err}"
        );
    }
    let p = key_file(dir.path(), 0o400, &wif);
    let (code, _, err) = run(
        &[
            "tx",
            "sign",
            "--chain-id",
            v["chain_id"].as_str().unwrap(),
            "--wif-file",
            p.to_str().unwrap(),
        ],
        &unsigned,
    );
    assert_eq!(code, 0, "{err}");
    // A bad key line is reported by file and line, without echoing it.
    let p = key_file(dir.path(), 0o600, "# k\nnot-a-wif-secret\n");
    let (code, _, err) = run(
        &[
            "tx",
            "sign",
            "--chain-id",
            v["chain_id"].as_str().unwrap(),
            "--wif-file",
            p.to_str().unwrap(),
        ],
        &unsigned,
    );
    assert_eq!(code, 1);
    assert!(
        err.contains(&format!("{}:2", p.display())) && !err.contains("not-a-wif-secret"),
        "{err}"
    );
}

#[test]
fn unknown_operations_and_bad_input_are_clear_errors() {
    let v = vectors("transfer_tx.json");
    let mut tx = v["unsigned_tx"].clone();
    tx["operations"][0][0] = Value::from(37);
    let (code, out, err) = run(&["tx", "hex"], &tx.to_string());
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(
        err.contains("operation 37 (balance_claim) is not supported"),
        "{err}"
    );
    tx["operations"][0][0] = Value::from(1);
    let (code, _, err) = run(&["tx", "id"], &tx.to_string());
    assert_eq!(code, 1);
    assert!(
        err.contains("operation 1 (limit_order_create) is not supported"),
        "{err}"
    );

    let (code, _, err) = run(&["tx", "hex"], "{not json");
    assert_eq!(code, 1);
    assert!(err.contains("transaction JSON"), "{err}");

    let (code, _, err) = run(
        &["tx", "id", "--chain-id", "abc"],
        &v["unsigned_tx"].to_string(),
    );
    assert_eq!(code, 1);
    assert!(err.contains("--chain-id"), "{err}");
}

/// A FIFO named as the key file used to hang `tx sign` waiting for a writer; a
/// device or a directory is no key file either. Each is refused at once, by name.
#[test]
fn key_files_that_are_not_regular_files_are_refused_without_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("keys.fifo");
    let made = Command::new("mkfifo")
        .arg("-m")
        .arg("600")
        .arg(&fifo)
        .status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    let subdir = dir.path().join("keys.d");
    std::fs::create_dir(&subdir).unwrap();
    std::fs::set_permissions(&subdir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let chain_id = vectors("transfer_tx.json")["chain_id"]
        .as_str()
        .unwrap()
        .to_string();
    for (path, kind) in [
        (fifo.as_path(), "a FIFO"),
        (subdir.as_path(), "a directory"),
        (Path::new("/dev/zero"), "a character device"),
    ] {
        let out = support::process::output_within(
            Command::new(env!("CARGO_BIN_EXE_btsops"))
                .args(["tx", "sign", "--chain-id", &chain_id, "--wif-file"])
                .arg(path)
                .stdin(Stdio::null()),
            Duration::from_secs(20),
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.contains(&format!("refusing key file {}", path.display()))
                && err.contains(&format!("not a regular file (it is {kind})")),
            "{err}"
        );
    }
}

/// `btsops tx hex < tx.json | head -c0`: the reader is gone; exit 0, no panic.
#[test]
fn a_closed_stdout_ends_tx_hex_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("tx.json");
    std::fs::write(
        &input,
        vectors("transfer_tx.json")["unsigned_tx"].to_string(),
    )
    .unwrap();
    let out = support::process::output_with_closed_stdout(
        Command::new(env!("CARGO_BIN_EXE_btsops"))
            .args(["tx", "hex"])
            .stdin(std::fs::File::open(&input).unwrap()),
        Duration::from_secs(20),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.is_empty(), "{err}");
}

#[test]
fn account_names_the_chain_refuses_are_refused_before_deriving() {
    for (name, says) in [
        ("Alice", "lower case"),
        ("al_ice", "'_'"),
        ("1alice", "starts with a letter"),
        ("alice-", "ends with a letter or digit"),
        ("a..b", "two dots"),
        (&"a".repeat(64) as &str, "at most 63"),
        ("", "must not be empty"),
    ] {
        let (code, out, err) = run(
            &["keys", "derive", "--account", name, "--password-stdin"],
            "a long enough password\n",
        );
        assert_eq!(code, 1, "{name:?}: {err}");
        assert!(out.is_empty(), "{name:?}: {out}");
        assert!(
            err.contains(&format!("--account {name:?}")) && err.contains(says),
            "{name:?}: {err}"
        );
    }
    // Dots, digits and dashes inside parts are the chain's own names' shape.
    let (code, out, err) = run(
        &[
            "keys",
            "derive",
            "--account",
            "init0.x-1",
            "--password-stdin",
        ],
        "a long enough password\n",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 3, "{out}");
}

#[test]
fn keys_pub_given_a_public_key_says_so() {
    let fixed = &vectors("keys.json")["fixed_key"];
    for field in ["public_key_BTS", "public_key_TEST"] {
        let (code, out, err) = run(
            &["keys", "pub", "--wif-stdin"],
            &format!("{}\n", fixed[field].as_str().unwrap()),
        );
        assert_eq!(code, 1);
        assert!(out.is_empty());
        assert!(
            err.contains("stdin holds a public key, not a WIF private key"),
            "{err}"
        );
    }
}

#[test]
fn tx_hex_and_id_warn_when_the_node_would_refuse_the_transaction() {
    let v = vectors("transfer_tx.json");
    let good = v["unsigned_tx"].to_string();
    let (_, good_hex, _) = run(&["tx", "hex"], &good);
    let mut tx = v["unsigned_tx"].clone();
    // transfer validate(): amount.amount > 0.
    tx["operations"][0][1]["amount"]["amount"] = Value::from(0);
    let bad = tx.to_string();
    for args in [&["tx", "hex"][..], &["tx", "id"][..]] {
        let (code, out, err) = run(args, &bad);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(!out.is_empty(), "{args:?} still answers");
        assert!(
            err.starts_with("warning: the transaction fails the node's validate()")
                && err.contains("amount"),
            "{args:?}: {err}"
        );
    }
    let (_, bad_hex, _) = run(&["tx", "hex"], &bad);
    assert_ne!(bad_hex, good_hex);
    // `tx sign` refuses what the others only warn about.
    let dir = tempfile::tempdir().unwrap();
    let wif = vectors("keys.json")["fixed_key"]["wif"]
        .as_str()
        .unwrap()
        .to_string();
    let keys = key_file(dir.path(), 0o600, &wif);
    let (code, out, err) = run(
        &[
            "tx",
            "sign",
            "--chain-id",
            v["chain_id"].as_str().unwrap(),
            "--wif-file",
            keys.to_str().unwrap(),
        ],
        &bad,
    );
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("does not pass the node's validate()"), "{err}");
}

/// An I/O error wrapped by btsops is said once, not once per layer.
#[test]
fn an_os_error_is_printed_once() {
    let chain_id = vectors("transfer_tx.json")["chain_id"]
        .as_str()
        .unwrap()
        .to_string();
    let missing = "/nonexistent-btsops-dir/keys.wif";
    let (code, _, err) = run(
        &["tx", "sign", "--chain-id", &chain_id, "--wif-file", missing],
        "",
    );
    assert_eq!(code, 1);
    assert!(err.contains(missing), "{err}");
    assert_eq!(err.matches("(os error 2)").count(), 1, "{err}");
}

/// `keys derive --password-stdin` at a terminal: a prompt, no echo, Enter ends the
/// password, and the keys are those the same password gives through a pipe.
#[test]
fn the_password_prompt_at_a_terminal_does_not_echo() {
    if !support::pty::script_available("the_password_prompt_at_a_terminal_does_not_echo") {
        return;
    }
    let password = "correct horse battery staple";
    let args = [
        "keys",
        "derive",
        "--account",
        "alice",
        "--password-stdin",
        "--show-private",
        "--json",
    ];
    let (code, piped, _) = run(&args, &format!("{password}\n"));
    assert_eq!(code, 0);
    let piped: Value = serde_json::from_str(&piped).unwrap();

    // `stty -a` afterwards shows whether echo was given back to the terminal.
    let mut pty =
        support::pty::Pty::start(&format!("BTSOPS {}; echo EXIT=$?; stty -a", args.join(" ")));
    pty.wait_for(b"password for alice: ", "the prompt");
    pty.send(format!("{password}\r").as_bytes());
    let (_, out) = pty.finish();
    let text = String::from_utf8_lossy(&out);
    assert!(!text.contains(password), "the password was echoed: {text}");
    assert!(text.contains("EXIT=0"), "{text}");
    let json = text
        .lines()
        .find(|l| l.trim_start().starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON line: {text}"));
    let typed: Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(typed, piped);
    assert!(
        text.split_whitespace().any(|w| w == "echo"),
        "echo not restored: {text}"
    );

    // Ctrl-C at the prompt cancels it, and echo is back on.
    let mut pty =
        support::pty::Pty::start(&format!("BTSOPS {}; echo EXIT=$?; stty -a", args.join(" ")));
    pty.wait_for(b"password for alice: ", "the prompt");
    pty.send(b"secret-typed\x03");
    let (_, out) = pty.finish();
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains("password prompt cancelled"), "{text}");
    assert!(text.contains("EXIT=1"), "{text}");
    assert!(!text.contains("secret-typed"), "{text}");
    assert!(
        text.split_whitespace().any(|w| w == "echo"),
        "echo not restored: {text}"
    );
}
