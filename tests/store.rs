//! The store under real use (issue 12): many processes deciding at once lose nothing, the journal
//! proves itself (heads, SSH signatures), symbolic links under `.driftdeck/` are refused, torn
//! tails are repaired safely, and approvals fail closed. Every test uses real files and real
//! processes: child processes of this test binary calling the library, and the driftdeck binary.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use driftdeck::decide::approvals::{ApprovalError, ApprovalPolicy, Approvals};
use driftdeck::decide::journal::{Anchor, AuditOptions, Journal, JournalHead, audit, verify};
use driftdeck::decide::lock::StoreLock;
use driftdeck::decide::signing::{AllowedSigners, verify_signature};
use driftdeck::decide::{ApproveInput, Decider, DeciderOptions, DecisionInput};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_driftdeck");
const N: usize = 20;

/// A Terraform plan whose `resource_drift` has `n` instances whose instance type drifted.
fn plan_json(n: usize) -> String {
    let drift: Vec<Value> = (0..n)
        .map(|i| {
            serde_json::json!({
                "address": format!("aws_instance.w{i}"),
                "mode": "managed",
                "type": "aws_instance",
                "name": format!("w{i}"),
                "provider_name": "registry.terraform.io/hashicorp/aws",
                "change": {
                    "actions": ["update"],
                    "before": {"id": format!("i-0{i:016x}"), "instance_type": "t3.micro", "ami": "ami-0abc"},
                    "after": {"id": format!("i-0{i:016x}"), "instance_type": "t3.large", "ami": "ami-0abc"}
                }
            })
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "resource_drift": drift,
        "resource_changes": [],
        "timestamp": "2026-11-22T07:58:41Z",
        "applyable": false,
        "complete": true,
        "errored": false
    }))
    .expect("json")
}

/// An IaC directory: the plan and one `main.tf` holding all `n` instances.
fn iac(n: usize) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tmp");
    std::fs::write(tmp.path().join("plan.json"), plan_json(n)).expect("plan");
    let mut tf = String::new();
    for i in 0..n {
        let _ = write!(
            tf,
            "resource \"aws_instance\" \"w{i}\" {{\n  ami           = \"ami-0abc\"\n  instance_type = \"t3.micro\" # sized for the load test\n}}\n\n"
        );
    }
    std::fs::write(tmp.path().join("main.tf"), tf).expect("tf");
    tmp
}

fn driftdeck(args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .env("DRIFTDECK_ACTOR", "tester@example.com")
        .env("DRIFTDECK_AWS_IDENTITY", "0")
        .env("DRIFTDECK_CONFIG_DIR", "/nonexistent-driftdeck-config")
        .env_remove("DRIFTDECK_IAC_DIR")
        .env_remove("DRIFTDECK_LOCK_TIMEOUT");
    c
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = driftdeck(args).output().expect("run driftdeck");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn journal_of(dir: &Path) -> PathBuf {
    dir.join(".driftdeck/journal.jsonl")
}

/// Starts every command at (nearly) the same moment and waits for all of them.
fn run_together(cmds: Vec<Command>) -> Vec<std::process::Output> {
    let children: Vec<Child> = cmds
        .into_iter()
        .map(|mut c| {
            c.stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    children
        .into_iter()
        .map(|c| c.wait_with_output().expect("wait"))
        .collect()
}

/// After `n` concurrent decisions: `n` entries, sequence 1..n, chain intact.
fn assert_journal_complete(dir: &Path, n: usize) -> Vec<driftdeck::decide::JournalEntry> {
    let path = journal_of(dir);
    let entries = Journal::read_all(&path).expect("read");
    let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=n as u64).collect::<Vec<_>>());
    let v = verify(&path).expect("verify");
    assert_eq!((v.good, v.broken, v.torn_tail_line), (n, None, None));
    entries
}

fn assert_all_approved(dir: &Path, n: usize) {
    let all = Approvals::load(&dir.join(".driftdeck/approvals.toml")).expect("approvals");
    let mut addresses: Vec<String> = all.approvals.iter().map(|a| a.address.clone()).collect();
    addresses.sort();
    let mut want: Vec<String> = (0..n).map(|i| format!("aws_instance.w{i}")).collect();
    want.sort();
    assert_eq!(addresses, want);
    // The file records a head that is in the journal.
    let head = all.journal_head.expect("journal head recorded");
    let entries = Journal::read_all(&journal_of(dir)).expect("read");
    assert!(entries.iter().any(|e| e.head() == head), "{head}");
}

// ------------------------------------------------------------------ many writers, nothing lost

/// Helper for the library concurrency tests: one decision in a child process, started when the
/// parent creates the `go` file.
#[test]
#[ignore = "helper: run by the concurrency tests in a child process"]
fn store_child() {
    let (Some(dir), Some(what), Some(i)) = (
        std::env::var_os("STORE_CHILD_DIR"),
        std::env::var("STORE_CHILD_WHAT").ok(),
        std::env::var("STORE_CHILD_ITEM").ok(),
    ) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let taxonomy = driftdeck::classify::Taxonomy::defaults().expect("taxonomy");
    let report = driftdeck::ingest::load_paths(&[dir.join("plan.json").display().to_string()], &taxonomy)
        .expect("report");
    let item = report.find(&format!("aws_instance.w{i}")).expect("item").clone();
    let go = dir.join("go");
    while !go.exists() {
        std::thread::sleep(Duration::from_millis(1));
    }
    let mut d = Decider::open(DeciderOptions {
        actor: Some(format!("child-{i}")),
        ..DeciderOptions::new(&dir)
    })
    .expect("open");
    let input = DecisionInput {
        reason: Some(format!("child {i}")),
        ..DecisionInput::default()
    };
    if what == "approve" {
        d.approve(
            &report,
            &item,
            &ApproveInput {
                decision: input,
                expires: "72h".into(),
                attributes: vec![],
            },
        )
        .expect("approve");
    } else {
        let (_, entry) = d.adopt_now(&report, &item, &input, &mut |_| {}).expect("adopt");
        assert!(entry.is_some());
    }
}

fn library_children(dir: &Path, what: &str) -> Vec<std::process::Output> {
    let cmds = (0..N)
        .map(|i| {
            let mut c = Command::new(std::env::current_exe().expect("exe"));
            c.args([
                "--ignored",
                "--exact",
                "store_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("STORE_CHILD_DIR", dir)
            .env("STORE_CHILD_WHAT", what)
            .env("STORE_CHILD_ITEM", i.to_string())
            .env("DRIFTDECK_CONFIG_DIR", "/nonexistent-driftdeck-config");
            c
        })
        .collect();
    let go = dir.join("go");
    let handle = {
        let go = go.clone();
        std::thread::spawn(move || {
            // Let every child load its report and wait on the start line.
            std::thread::sleep(Duration::from_millis(700));
            std::fs::write(go, "").expect("go");
        })
    };
    let outs = run_together(cmds);
    handle.join().expect("join");
    outs
}

#[test]
fn twenty_processes_approving_through_the_library_lose_nothing() {
    let tmp = iac(N);
    let outs = library_children(tmp.path(), "approve");
    for o in &outs {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let entries = assert_journal_complete(tmp.path(), N);
    assert!(entries.iter().all(|e| e.decision.as_str() == "approve"));
    assert_all_approved(tmp.path(), N);
}

#[test]
fn twenty_driftdeck_approve_processes_lose_nothing() {
    let tmp = iac(N);
    let dir = tmp.path().to_str().expect("utf8").to_string();
    let plan = tmp.path().join("plan.json").display().to_string();
    let cmds = (0..N)
        .map(|i| {
            driftdeck(&[
                "approve",
                &plan,
                &format!("aws_instance.w{i}"),
                "--reason",
                "load test",
                "--expires",
                "72h",
                "--iac-dir",
                &dir,
            ])
        })
        .collect();
    for o in run_together(cmds) {
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{err}");
        // A process opening while another is between its journal entry and its approvals write
        // waits it out (shared lock) instead of reporting a missing approval.
        assert!(!err.contains("does not hold that approval"), "{err}");
    }
    assert_journal_complete(tmp.path(), N);
    assert_all_approved(tmp.path(), N);
}

fn assert_all_adopted(dir: &Path) {
    let tf = std::fs::read_to_string(dir.join("main.tf")).expect("tf");
    hcl_edit::parser::parse_body(&tf).expect("the edited file parses");
    assert_eq!(tf.matches("\"t3.large\"").count(), N, "{tf}");
    assert_eq!(tf.matches("t3.micro").count(), 0, "{tf}");
    // Formatting and comments survive every edit.
    assert_eq!(tf.matches("# sized for the load test").count(), N);
}

#[test]
fn twenty_processes_adopting_into_one_file_through_the_library_keep_every_edit() {
    let tmp = iac(N);
    let outs = library_children(tmp.path(), "adopt");
    for o in &outs {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let entries = assert_journal_complete(tmp.path(), N);
    assert!(entries.iter().all(|e| e.decision.as_str() == "adopt"));
    assert_all_adopted(tmp.path());
}

#[test]
fn twenty_driftdeck_adopt_processes_into_one_file_keep_every_edit() {
    let tmp = iac(N);
    let dir = tmp.path().to_str().expect("utf8").to_string();
    let plan = tmp.path().join("plan.json").display().to_string();
    let cmds = (0..N)
        .map(|i| {
            driftdeck(&[
                "adopt",
                &plan,
                &format!("aws_instance.w{i}"),
                "--write",
                "--reason",
                "keep the larger size",
                "--iac-dir",
                &dir,
            ])
        })
        .collect();
    for o in run_together(cmds) {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert_journal_complete(tmp.path(), N);
    assert_all_adopted(tmp.path());
}

#[test]
fn adopt_refuses_when_the_file_changed_since_the_diff_was_shown() {
    let tmp = iac(2);
    let taxonomy = driftdeck::classify::Taxonomy::defaults().expect("taxonomy");
    let report =
        driftdeck::ingest::load_paths(&[tmp.path().join("plan.json").display().to_string()], &taxonomy)
            .expect("report");
    let mut d = Decider::open(DeciderOptions {
        actor: Some("t".into()),
        ..DeciderOptions::new(tmp.path())
    })
    .expect("open");
    let item = report.find("aws_instance.w0").expect("item");
    let preview = d.adopt_preview(item).expect("preview");
    // Someone else edits the file meanwhile.
    let tf = tmp.path().join("main.tf");
    let edited = std::fs::read_to_string(&tf)
        .expect("read")
        .replace("ami-0abc", "ami-0def");
    std::fs::write(&tf, &edited).expect("write");
    let err = d
        .adopt_write(&report, item, &preview, &DecisionInput::default())
        .expect_err("stale");
    assert!(
        err.to_string().contains("changed since the diff was shown"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&tf).expect("read"), edited);
    assert!(
        Journal::read_all(&journal_of(tmp.path()))
            .expect("read")
            .is_empty()
    );
}

#[test]
fn a_held_lock_gives_a_clear_error_naming_the_lock_file_after_the_bounded_wait() {
    let tmp = iac(1);
    let dir = tmp.path().to_str().expect("utf8").to_string();
    std::fs::create_dir_all(tmp.path().join(".driftdeck")).expect("dir");
    let lock_path = tmp.path().join(".driftdeck/journal.jsonl.lock");
    let held = StoreLock::acquire(&lock_path, Duration::from_secs(1)).expect("hold");
    let plan = tmp.path().join("plan.json").display().to_string();
    let t = Instant::now();
    let (code, _, err) = run(&[
        "approve",
        &plan,
        "aws_instance.w0",
        "--expires",
        "72h",
        "--iac-dir",
        &dir,
        "--lock-timeout",
        "1",
    ]);
    let waited = t.elapsed();
    drop(held);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("journal.jsonl.lock"), "{err}");
    assert!(err.contains("still locked"), "{err}");
    assert!(
        waited >= Duration::from_secs(1) && waited < Duration::from_secs(8),
        "{waited:?}"
    );
    assert!(
        Journal::read_all(&journal_of(tmp.path()))
            .expect("read")
            .is_empty()
    );
    assert!(!tmp.path().join(".driftdeck/approvals.toml").exists());
}

// ------------------------------------------------------------------ hostile environment

fn approve_w0(dir: &Path) -> (i32, String, String) {
    let d = dir.to_str().expect("utf8").to_string();
    let plan = dir.join("plan.json").display().to_string();
    run(&[
        "approve",
        &plan,
        "aws_instance.w0",
        "--expires",
        "72h",
        "--iac-dir",
        &d,
    ])
}

#[test]
fn symlinks_under_driftdeck_are_refused_and_their_targets_untouched() {
    let outside = tempfile::tempdir().expect("outside");
    let victim = outside.path().join("victim");
    std::fs::write(&victim, "precious\n").expect("victim");

    // The journal, the approvals file and the lock file as links.
    for name in ["journal.jsonl", "approvals.toml", "journal.jsonl.lock"] {
        let tmp = iac(1);
        let dd = tmp.path().join(".driftdeck");
        std::fs::create_dir_all(&dd).expect("dir");
        std::os::unix::fs::symlink(&victim, dd.join(name)).expect("symlink");
        let (code, out, err) = approve_w0(tmp.path());
        assert_eq!(code, 1, "{name}: {out}{err}");
        assert!(err.contains("symbolic link"), "{name}: {err}");
        assert_eq!(
            std::fs::read_to_string(&victim).expect("victim"),
            "precious\n",
            "{name}"
        );
    }

    // `.driftdeck/` itself as a link: the journal would land outside the IaC directory.
    let tmp = iac(1);
    let elsewhere = outside.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).expect("dir");
    std::os::unix::fs::symlink(&elsewhere, tmp.path().join(".driftdeck")).expect("symlink");
    let (code, _, err) = approve_w0(tmp.path());
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("symbolic link"), "{err}");
    assert_eq!(std::fs::read_dir(&elsewhere).expect("ls").count(), 0);

    // A torn tail must not be "repaired" through a linked journal by merely opening it.
    let tmp = iac(1);
    let dd = tmp.path().join(".driftdeck");
    std::fs::create_dir_all(&dd).expect("dir");
    std::fs::write(&victim, "{\"seq\":1,\"torn").expect("victim");
    std::os::unix::fs::symlink(&victim, dd.join("journal.jsonl")).expect("symlink");
    let err = Decider::open(DeciderOptions::new(tmp.path())).expect_err("refused");
    assert!(err.to_string().contains("symbolic link"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&victim).expect("victim"),
        "{\"seq\":1,\"torn"
    );
}

#[test]
fn the_approvals_temp_file_has_an_unpredictable_name_so_a_planted_link_is_harmless() {
    let tmp = iac(1);
    let dd = tmp.path().join(".driftdeck");
    std::fs::create_dir_all(&dd).expect("dir");
    let outside = tempfile::tempdir().expect("outside");
    let victim = outside.path().join("victim");
    std::fs::write(&victim, "precious\n").expect("victim");
    // The names the old code used, for this and nearby process ids.
    for pid in 0..64u32 {
        let _ = std::os::unix::fs::symlink(&victim, dd.join(format!(".approvals.toml.driftdeck-{pid}.tmp")));
    }
    let (code, _, err) = approve_w0(tmp.path());
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read_to_string(&victim).expect("victim"), "precious\n");
    assert_eq!(
        Approvals::load(&dd.join("approvals.toml"))
            .expect("load")
            .approvals
            .len(),
        1
    );
}

#[test]
fn torn_tail_repair_keeps_a_complete_entry_and_sets_only_a_real_fragment_aside() {
    let tmp = iac(3);
    let dir = tmp.path();
    for i in 0..2 {
        let plan = dir.join("plan.json").display().to_string();
        let d = dir.to_str().expect("utf8").to_string();
        let (code, _, err) = run(&[
            "approve",
            &plan,
            &format!("aws_instance.w{i}"),
            "--expires",
            "72h",
            "--iac-dir",
            &d,
        ]);
        assert_eq!(code, 0, "{err}");
    }
    let path = journal_of(dir);
    // A valid last entry that lost only its newline is an entry, not a torn tail.
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, text.trim_end_matches('\n')).expect("write");
    let (_, report) = Journal::open(&path, false).expect("open");
    assert!(report.torn_tail.is_none());
    assert_eq!(Journal::read_all(&path).expect("read").len(), 2);
    assert!(verify(&path).expect("verify").broken.is_none());
    // A fragment is moved aside and the chain continues after entry 2.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .expect("open");
    std::io::Write::write_all(&mut f, b"{\"seq\":3,\"time\":\"2026-").expect("write");
    drop(f);
    let d = Decider::open(DeciderOptions {
        actor: Some("t".into()),
        ..DeciderOptions::new(dir)
    })
    .expect("open");
    let w = d.journal_warning().expect("warning");
    assert!(w.contains("line 3 was torn"), "{w}");
    assert!(
        std::fs::read_to_string(format!("{}.torn", path.display()))
            .expect("kept")
            .starts_with("{\"seq\":3")
    );
    let plan = dir.join("plan.json").display().to_string();
    let dstr = dir.to_str().expect("utf8").to_string();
    let (code, _, err) = run(&[
        "approve",
        &plan,
        "aws_instance.w2",
        "--expires",
        "72h",
        "--iac-dir",
        &dstr,
    ]);
    assert_eq!(code, 0, "{err}");
    assert_journal_complete(dir, 3);
}

// ------------------------------------------------------------------ a journal that proves itself

fn three_approvals(extra: &[&str]) -> tempfile::TempDir {
    let tmp = iac(3);
    let plan = tmp.path().join("plan.json").display().to_string();
    let d = tmp.path().to_str().expect("utf8").to_string();
    for i in 0..3 {
        let a = format!("aws_instance.w{i}");
        let mut args = vec!["approve", &plan, &a, "--expires", "72h", "--iac-dir", &d];
        args.extend(extra);
        let (code, _, err) = run(&args);
        assert_eq!(code, 0, "{err}");
    }
    tmp
}

fn verify_cli(dir: &Path, extra: &[&str]) -> (i32, String, String) {
    let d = dir.to_str().expect("utf8").to_string();
    let mut args = vec!["journal", "verify", "--iac-dir", &d];
    args.extend(extra);
    run(&args)
}

#[test]
fn head_anchors_catch_truncation_emptying_rewriting_and_the_approvals_head() {
    let tmp = three_approvals(&[]);
    let dir = tmp.path();
    let d = dir.to_str().expect("utf8").to_string();
    let (code, head, _) = run(&["journal", "head", "--iac-dir", &d]);
    assert_eq!(code, 0);
    let head = head.trim().to_string();
    let parsed: JournalHead = head.parse().expect("SEQ:HASH");
    assert_eq!(parsed.seq, 3);
    let (code, out, err) = verify_cli(dir, &["--head", &head]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("chain intact"), "{out}");

    let path = journal_of(dir);
    let original = std::fs::read_to_string(&path).expect("read");
    let lines: Vec<&str> = original.lines().collect();
    let approvals_path = dir.join(".driftdeck/approvals.toml");
    let approvals_text = std::fs::read_to_string(&approvals_path).expect("approvals");

    // Deleting the last line: the chain itself is fine, the head is gone.
    std::fs::write(&path, format!("{}\n{}\n", lines[0], lines[1])).expect("write");
    let (code, out, _) = verify_cli(dir, &["--head", &head]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("shorter than recorded"), "{out}");
    // Without --head, the head approvals.toml recorded catches it.
    let (code, out, _) = verify_cli(dir, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("approvals.toml"), "{out}");
    assert!(out.contains("shorter than recorded"), "{out}");

    // Emptying the file.
    std::fs::write(&path, "").expect("write");
    let (code, out, _) = verify_cli(dir, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("ends at entry 0"), "{out}");

    // Editing the last line and dropping its newline: it is still an entry, and a broken one.
    let edited = format!(
        "{}\n{}\n{}",
        lines[0],
        lines[1],
        lines[2].replacen("\"time\":\"20", "\"time\":\"19", 1)
    );
    std::fs::write(&path, &edited).expect("write");
    let (code, out, _) = verify_cli(dir, &["--head", &head]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("entry 3") || out.contains("line 3"), "{out}");

    // Rewriting an entry and re-chaining every hash after it passes the chain check, not the head.
    let mut entries: Vec<driftdeck::decide::JournalEntry> = lines
        .iter()
        .map(|l| serde_json::from_str(l).expect("entry"))
        .collect();
    entries[1].reason = Some("rewritten history".into());
    let mut prev = entries[0].hash.clone();
    for e in entries.iter_mut().skip(1) {
        e.prev_hash = prev.clone();
        e.hash = e.compute_hash().expect("hash");
        prev = e.hash.clone();
    }
    let rechained: String = entries
        .iter()
        .map(|e| serde_json::to_string(e).expect("json") + "\n")
        .collect();
    std::fs::write(&path, &rechained).expect("write");
    assert!(verify(&path).expect("verify").broken.is_none());
    let (code, out, _) = verify_cli(dir, &["--head", &head]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("rewritten"), "{out}");

    // Restored, everything holds again; the approvals file still names the head.
    std::fs::write(&path, &original).expect("write");
    std::fs::write(&approvals_path, &approvals_text).expect("write");
    assert!(
        approvals_text.contains(&format!("journal_head = \"{head}\"")),
        "{approvals_text}"
    );
    let (code, out, _) = verify_cli(dir, &["--head", &head]);
    assert_eq!(code, 0, "{out}");
}

fn ssh_keygen() -> Option<PathBuf> {
    let p = PathBuf::from("/usr/bin/ssh-keygen");
    p.exists().then_some(p)
}

/// An unencrypted ed25519 key and its allowed-signers line for `principal`.
fn make_key(dir: &Path, name: &str, principal: &str) -> (PathBuf, String) {
    let key = ssh_key::PrivateKey::random(&mut ssh_key::rand_core::OsRng, ssh_key::Algorithm::Ed25519)
        .expect("key");
    let path = dir.join(name);
    key.write_openssh_file(&path, ssh_key::LineEnding::LF)
        .expect("write key");
    let public = key.public_key().to_openssh().expect("public");
    (
        path,
        format!("{principal} namespaces=\"driftdeck-journal\" {public}\n"),
    )
}

#[test]
fn signed_entries_verify_with_allowed_signers_and_with_ssh_keygen_alone() {
    let keys = tempfile::tempdir().expect("keys");
    let (alice, alice_line) = make_key(keys.path(), "alice", "alice@corp.example");
    let (mallory, _) = make_key(keys.path(), "mallory", "mallory@evil.example");
    let allowed = keys.path().join("allowed_signers");
    std::fs::write(&allowed, &alice_line).expect("allowed");
    let allowed_s = allowed.display().to_string();
    let alice_s = alice.display().to_string();
    let tmp = three_approvals(&["--sign-with", &alice_s]);
    let dir = tmp.path();

    let (code, out, err) = verify_cli(dir, &["--allowed-signers", &allowed_s]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("signed: 3 entries by SHA256:"), "{out}");
    assert!(out.contains("alice@corp.example"), "{out}");

    // The export says which key signed and the head.
    let d = dir.to_str().expect("utf8").to_string();
    let (code, json, _) = run(&["export", "--format", "json", "--iac-dir", &d]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&json).expect("json");
    assert_eq!(v["signed_by"][0]["entries"], 3);
    assert!(
        v["signed_by"][0]["fingerprint"]
            .as_str()
            .expect("fp")
            .starts_with("SHA256:")
    );
    let head = Journal::head(&journal_of(dir)).expect("head").to_string();
    assert_eq!(v["journal_head"], Value::String(head));

    // Round trip with ssh-keygen: an auditor verifies an entry without driftdeck.
    let entries = Journal::read_all(&journal_of(dir)).expect("read");
    let e = &entries[1];
    let sig = e.signature.as_deref().expect("signed");
    assert!(verify_signature(sig, &e.hash).is_ok());
    if let Some(keygen) = ssh_keygen() {
        let sig_file = keys.path().join("entry2.sig");
        std::fs::write(&sig_file, sig).expect("sig");
        let mut child = Command::new(&keygen)
            .args([
                "-Y",
                "verify",
                "-f",
                &allowed_s,
                "-I",
                "alice@corp.example",
                "-n",
                "driftdeck-journal",
                "-s",
            ])
            .arg(&sig_file)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ssh-keygen");
        std::io::Write::write_all(child.stdin.as_mut().expect("stdin"), e.hash.as_bytes()).expect("hash");
        let out = child.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "ssh-keygen -Y verify: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // An entry appended by someone without alice's key (correctly chained, unsigned) is caught.
    let path = journal_of(dir);
    let mut forged = entries[2].clone();
    forged.seq = 4;
    forged.prev_hash = entries[2].hash.clone();
    forged.reason = Some("forged approval".into());
    forged.signature = None;
    forged.hash = forged.compute_hash().expect("hash");
    let mut text = std::fs::read_to_string(&path).expect("read");
    text.push_str(&(serde_json::to_string(&forged).expect("json") + "\n"));
    std::fs::write(&path, &text).expect("write");
    assert!(verify(&path).expect("verify").broken.is_none());
    let (code, out, _) = verify_cli(dir, &["--allowed-signers", &allowed_s]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("entry 4 is not signed"), "{out}");
    let (_, _, err) = verify_cli(dir, &[]);
    assert!(
        err.contains("entry 4 is not signed although earlier entries are"),
        "{err}"
    );

    // Signed with a key that is not allowed: caught too.
    let signer = driftdeck::decide::signing::Signer::load(&mallory).expect("mallory");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    forged.signature = Some(signer.sign(&forged.hash).expect("sign"));
    lines[3] = serde_json::to_string(&forged).expect("json");
    std::fs::write(&path, lines.join("\n") + "\n").expect("write");
    let a = audit(
        &path,
        &AuditOptions {
            anchors: vec![],
            allowed_signers: Some(AllowedSigners::load(&allowed).expect("allowed")),
        },
    )
    .expect("audit");
    assert!(!a.ok());
    assert!(
        a.signature_problems[0].contains("does not allow"),
        "{:?}",
        a.signature_problems
    );

    // A signature made by ssh-keygen over an entry hash verifies in driftdeck.
    if let Some(keygen) = ssh_keygen() {
        let msg = keys.path().join("msg");
        std::fs::write(&msg, &e.hash).expect("msg");
        let st = Command::new(&keygen)
            .args(["-Y", "sign", "-q", "-n", "driftdeck-journal", "-f"])
            .arg(&alice)
            .arg(&msg)
            .status()
            .expect("sign");
        assert!(st.success());
        let pem = std::fs::read_to_string(keys.path().join("msg.sig")).expect("sig");
        assert!(verify_signature(&pem, &e.hash).is_ok());
    }
    // Old, unsigned journals keep their exact bytes and still verify (no "signature" key).
    assert!(
        !Journal::read_all(&journal_of(&three_approvals(&[]).keep()))
            .expect("read")
            .iter()
            .any(|e| e.signature.is_some())
    );
}

#[test]
fn journals_written_before_signing_existed_still_verify_byte_for_byte() {
    // An entry as the previous release wrote it (no signature field).
    let tmp = three_approvals(&[]);
    let path = journal_of(tmp.path());
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(!text.contains("signature"));
    for line in text.lines() {
        let e: driftdeck::decide::JournalEntry = serde_json::from_str(line).expect("entry");
        assert_eq!(serde_json::to_string(&e).expect("json"), line);
        assert_eq!(e.compute_hash().expect("hash"), e.hash);
    }
    let a = audit(
        &path,
        &AuditOptions {
            anchors: vec![Anchor {
                source: "test".into(),
                head: Journal::head(&path).expect("head"),
            }],
            allowed_signers: None,
        },
    )
    .expect("audit");
    assert!(a.ok(), "{a:?}");
}

// ------------------------------------------------------------------ approvals fail closed

const GOOD_APPROVAL: &str = r#"[[approval]]
address = "aws_instance.w0"
reason = "load test"
approver = "tester@example.com"
created = "2026-11-22T08:00:00Z"
expires = "2026-11-25T08:00:00Z"
kind = "modified"

[[approval.value]]
path = "instance_type"
live = '"t3.large"'
"#;

fn parse(text: &str) -> Result<Approvals, ApprovalError> {
    let now = time::macros::datetime!(2026-11-23 08:00 UTC);
    Approvals::parse(text, Path::new("approvals.toml"), &ApprovalPolicy::default(), now)
}

#[test]
fn approvals_reject_unknown_keys_duplicates_and_far_expiries_with_file_and_line() {
    assert_eq!(parse(GOOD_APPROVAL).expect("good").approvals.len(), 1);
    // A typo must not widen the approval to the whole item.
    let typo = GOOD_APPROVAL.replace("[[approval.value]]", "[[approval.values]]");
    let err = parse(&typo).expect_err("unknown key").to_string();
    assert!(
        err.contains("approvals.toml:1:") && err.contains("values"),
        "{err}"
    );
    let err = parse(&format!(
        "{GOOD_APPROVAL}\n{}",
        GOOD_APPROVAL.replace("2026-11-22T08:00:00Z", "9999-12-31T00:00:00Z")
    ))
    .expect_err("duplicate")
    .to_string();
    assert!(err.contains("approvals.toml:13:"), "{err}");
    let err = parse(&format!("{GOOD_APPROVAL}\n{GOOD_APPROVAL}"))
        .expect_err("duplicate")
        .to_string();
    assert!(
        err.contains("second approval") && err.contains("first is at line 1"),
        "{err}"
    );
    let far = GOOD_APPROVAL.replace("2026-11-25T08:00:00Z", "9999-12-31T23:59:59Z");
    let err = parse(&far).expect_err("cap").to_string();
    assert!(err.contains("longest allowed approval (90 days"), "{err}");
    let garbage = GOOD_APPROVAL.replace("2026-11-22T08:00:00Z", "yesterday");
    let err = parse(&garbage).expect_err("garbage").to_string();
    assert!(err.contains("created"), "{err}");
    // TOML native datetimes read like quoted ones.
    let native = GOOD_APPROVAL
        .replace("\"2026-11-25T08:00:00Z\"", "2026-11-25T08:00:00Z")
        .replace("\"2026-11-22T08:00:00Z\"", "2026-11-22T08:00:00Z");
    assert_eq!(
        parse(&native).expect("native"),
        parse(GOOD_APPROVAL).expect("quoted")
    );
}

#[test]
fn a_broken_approvals_file_makes_check_fail_closed_with_the_file_and_line_on_separate_lines() {
    let tmp = three_approvals(&[]);
    let dir = tmp.path();
    let d = dir.to_str().expect("utf8").to_string();
    let plan = dir.join("plan.json").display().to_string();
    // Only three of the twenty... here all three are approved: check passes.
    let (code, _, _) = run(&["check", &plan, "--iac-dir", &d]);
    assert_eq!(code, 0);
    let approvals = dir.join(".driftdeck/approvals.toml");
    let text = std::fs::read_to_string(&approvals).expect("read");
    std::fs::write(
        &approvals,
        text.replacen("[[approval.value]]", "[[approval.values]]", 1),
    )
    .expect("write");
    let (code, _, err) = run(&["check", &plan, "--iac-dir", &d]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("approvals.toml:"), "{err}");
    assert!(err.contains("every item counts as open"), "{err}");
    assert!(!err.contains("\\n"), "{err}");
    assert!(err.lines().count() >= 2, "{err}");
    let opts = DeciderOptions::new(dir);
    assert!(
        opts.approvals_problem()
            .expect("problem")
            .contains("approvals.toml:")
    );
    // An approve refuses to overwrite the broken file (nothing journaled).
    let before = Journal::read_all(&journal_of(dir)).expect("read").len();
    let (code, _, err) = run(&[
        "approve",
        &plan,
        "aws_instance.w0",
        "--expires",
        "72h",
        "--iac-dir",
        &d,
    ]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(Journal::read_all(&journal_of(dir)).expect("read").len(), before);
}

#[test]
fn absurd_expiries_are_refused_without_a_panic() {
    let tmp = iac(1);
    let d = tmp.path().to_str().expect("utf8").to_string();
    let plan = tmp.path().join("plan.json").display().to_string();
    for e in ["999999w", "99999999999999999999999d", "9999-12-31"] {
        let (code, _, err) = run(&[
            "approve",
            &plan,
            "aws_instance.w0",
            "--expires",
            e,
            "--iac-dir",
            &d,
        ]);
        assert_eq!(code, 1, "{e}: {err}");
        assert!(err.contains("longest allowed is 90 days"), "{e}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn a_journaled_approval_missing_from_the_file_is_reported_on_the_next_start() {
    let tmp = iac(2);
    let dir = tmp.path();
    let approvals = dir.join(".driftdeck/approvals.toml");
    let (code, _, err) = approve_w0(dir);
    assert_eq!(code, 0, "{err}");
    let before = std::fs::read_to_string(&approvals).expect("read");
    let d = dir.to_str().expect("utf8").to_string();
    let plan = dir.join("plan.json").display().to_string();
    let (code, _, err) = run(&[
        "approve",
        &plan,
        "aws_instance.w1",
        "--expires",
        "72h",
        "--iac-dir",
        &d,
    ]);
    assert_eq!(code, 0, "{err}");
    // The second write "never happened" (disk full after the journal entry).
    std::fs::write(&approvals, before).expect("write");
    let decider = Decider::open(DeciderOptions::new(dir)).expect("open");
    let w = decider.warnings().join("\n");
    assert!(w.contains("journal entry 2 approved aws_instance.w1"), "{w}");
    let (_, _, err) = run(&[
        "approve",
        &plan,
        "aws_instance.w0",
        "--expires",
        "48h",
        "--iac-dir",
        &d,
    ]);
    assert!(err.contains("journal entry 2 approved aws_instance.w1"), "{err}");
}

#[test]
fn the_tui_header_says_when_the_approvals_file_is_not_applied() {
    use driftdeck::tui::{Keymap, State, Theme};
    use ratatui::{Terminal, backend::TestBackend};
    let tmp = iac(1);
    let dd = tmp.path().join(".driftdeck");
    std::fs::create_dir_all(&dd).expect("dir");
    std::fs::write(
        dd.join("approvals.toml"),
        GOOD_APPROVAL.replace("[[approval.value]]", "[[approval.values]]"),
    )
    .expect("write");
    let opts = DeciderOptions::new(tmp.path());
    let taxonomy = driftdeck::classify::Taxonomy::defaults().expect("taxonomy");
    let report =
        driftdeck::ingest::load_paths(&[tmp.path().join("plan.json").display().to_string()], &taxonomy)
            .expect("report");
    let mut state = State::new(report, Keymap::defaults(), 160, 30);
    state.approvals_problem = opts.approvals_problem();
    let mut t = Terminal::new(TestBackend::new(160, 30)).expect("terminal");
    t.draw(|f| driftdeck::tui::views::draw(f, &state, &Theme::default_dark()))
        .expect("draw");
    let b = t.backend().buffer().clone();
    let header: String = (0..2)
        .map(|y| {
            (0..b.area.width)
                .map(|x| b[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(header.contains("approvals not applied, all open"), "{header}");
    assert!(header.contains("approvals.toml:1"), "{header}");
}
