//! End to end in a real pseudo-terminal: the built binary on a fixture report, keys typed, the
//! screen read back through a terminal emulator (vt100). Waits poll the screen with a generous
//! timeout; nothing asserts on elapsed time.

#[path = "support/files.rs"]
mod files;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, MasterPty, PtySize, native_pty_system};

struct Session {
    parser: Arc<Mutex<vt100::Parser>>,
    /// Every byte the program wrote (the emulator drops what it does not draw, like OSC 52).
    raw: Arc<Mutex<Vec<u8>>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    master: Box<dyn MasterPty + Send>,
    _config: tempfile::TempDir,
}

const TIMEOUT: Duration = Duration::from_secs(60);

fn size(rows: u16, cols: u16) -> PtySize {
    PtySize {
        rows,
        cols,
        pixel_width: 0,
        pixel_height: 0,
    }
}

impl Session {
    fn start(args: &[&str]) -> Session {
        Session::start_with(args, &[])
    }

    /// Starts with files (name, contents) in a fresh config dir.
    fn start_with(args: &[&str], config_files: &[(&str, &str)]) -> Session {
        Session::start_env(args, config_files, &[])
    }

    /// Starts with config files and extra environment variables (`None` removes one).
    fn start_env(args: &[&str], config_files: &[(&str, &str)], envs: &[(&str, Option<&str>)]) -> Session {
        let pty = native_pty_system();
        let pair = pty.openpty(size(24, 80)).expect("openpty");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_driftdeck"));
        for a in args {
            cmd.arg(a);
        }
        cmd.cwd(env!("CARGO_MANIFEST_DIR"));
        let config = tempfile::tempdir().expect("tempdir");
        for (name, text) in config_files {
            std::fs::write(config.path().join(name), text).expect("config file");
        }
        cmd.env("DRIFTDECK_CONFIG_DIR", config.path());
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("NO_COLOR");
        cmd.env("DRIFTDECK_AWS_IDENTITY", "0");
        for (k, v) in envs {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            }
        }
        let child = pair.slave.spawn_command(cmd).expect("spawn driftdeck");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("reader");
        let writer = pair.master.take_writer().expect("writer");
        let parser = Arc::new(Mutex::new(vt100::Parser::new(
            std::num::NonZeroU16::new(24).expect("rows"),
            std::num::NonZeroU16::new(80).expect("cols"),
            0,
        )));
        let p = Arc::clone(&parser);
        let raw = Arc::new(Mutex::new(Vec::new()));
        let r = Arc::clone(&raw);
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                r.lock().expect("raw").extend_from_slice(&buf[..n]);
                p.lock().expect("parser").process(&buf[..n]);
            }
        });
        Session {
            parser,
            raw,
            writer,
            child,
            master: pair.master,
            _config: config,
        }
    }

    fn screen(&self) -> String {
        self.parser.lock().expect("parser").screen().contents()
    }

    /// Polls until `pred` holds for the screen, or fails with the last screen.
    fn wait_for(&self, what: &str, pred: impl Fn(&vt100::Screen) -> bool) {
        let start = Instant::now();
        loop {
            {
                let p = self.parser.lock().expect("parser");
                if pred(p.screen()) {
                    return;
                }
            }
            assert!(
                start.elapsed() < TIMEOUT,
                "timed out waiting for {what}; screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    fn wait_text(&self, text: &str) {
        self.wait_for(text, |s| s.contents().contains(text));
    }

    fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("write");
        self.writer.flush().expect("flush");
    }

    /// Resizes the emulator first, then the pty, holding the emulator's lock throughout: output
    /// the program draws for the new size is never read into the old one (which would wrap it).
    fn resize(&self, rows: u16, cols: u16) {
        let mut parser = self.parser.lock().expect("parser");
        parser.set_size(
            std::num::NonZeroU16::new(rows).expect("rows"),
            std::num::NonZeroU16::new(cols).expect("cols"),
        );
        self.master.resize(size(rows, cols)).expect("resize");
        drop(parser);
    }

    fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(st) = self.child.try_wait().expect("try_wait") {
                return st;
            }
            assert!(
                start.elapsed() < TIMEOUT,
                "driftdeck did not exit; screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// After exit, the output thread may still be feeding the parser: wait for the restore.
    fn wait_restored(&self) {
        self.wait_for("the terminal to be restored", |s| {
            !s.alternate_screen() && !s.hide_cursor()
        });
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
    }
}

#[test]
fn navigate_filter_help_resize_and_quit() {
    let mut s = Session::start(&["tests/fixtures/ingest/terraform-plan-v1.json"]);
    // First frame: alternate screen, list and detail drawn.
    s.wait_for("the first frame", |sc| {
        sc.alternate_screen() && sc.contents().contains("desired (IaC)")
    });
    s.wait_text("aws_security_group.web");
    // A frame arrives in pieces: the status bar (with the position) is drawn last.
    s.wait_text(" 1/");
    let first = s.screen();
    assert!(first.contains("driftdeck"), "{first}");
    // The secrets in the fixture are masked; the plaintext canaries never reach the screen.
    assert!(!first.contains("CANARY"), "{first}");

    // Navigate.
    s.send(b"j");
    s.wait_text(" 2/");
    s.send(b"G");
    s.wait_for("the last item", |sc| {
        let c = sc.contents();
        let status = c.lines().last().unwrap_or("").to_string();
        status
            .split_whitespace()
            .last()
            .is_some_and(|pos| pos.split_once('/').is_some_and(|(a, b)| a == b))
    });
    s.send(b"g");
    s.wait_text(" 1/");

    // Filter: the prompt shows while typing; Enter applies; the header says so.
    s.send(b"/");
    s.send(b"sev>=high");
    s.wait_text("/ sev>=high");
    s.send(b"\r");
    s.wait_text("filter: sev>=high (");
    s.send(b"\x1b");
    s.wait_text("filter: none");

    // Help, generated from the keymap.
    s.send(b"?");
    s.wait_text("half page down");
    s.wait_text("Ctrl-d");
    s.send(b"\x1b");
    s.wait_for("help to close", |sc| !sc.contents().contains("half page down"));

    // Resize below the minimum and back.
    s.resize(12, 50);
    s.wait_text("terminal too small");
    s.resize(24, 80);
    s.wait_text("aws_security_group.web");

    // Quit restores the terminal.
    s.send(b"q");
    let st = s.wait_exit();
    assert!(st.success(), "exit status {st:?}");
    s.wait_restored();
}

#[test]
fn hostile_text_is_shown_escaped() {
    let mut s = Session::start(&["open", "tests/fixtures/tui/hostile-plan.json"]);
    s.wait_text("aws_instance.evil");
    // JSON string escapes and the sanitizer make the control characters visible text.
    s.wait_text("\\u001b[2J");
    s.wait_text("\\u{202e}");
    let screen = s.screen();
    assert!(
        screen.contains("desired (IaC)"),
        "the screen was not cleared: {screen}"
    );
    assert!(!screen.contains('\u{202e}'), "{screen}");
    // Ctrl-C quits and restores, like q.
    s.send(b"\x03");
    s.wait_exit();
    s.wait_restored();
}

#[test]
fn demo_opens_the_tui() {
    let mut s = Session::start(&["demo"]);
    s.wait_text("aws_cloudtrail.main");
    s.wait_text("reports");
    s.send(b"q");
    assert!(s.wait_exit().success());
    s.wait_restored();
}

#[test]
fn demo_attributes_offline_from_the_bundled_logs() {
    let mut s = Session::start(&["demo"]);
    // The actor column fills in from assets/demo/cloudtrail (no network): the top item is the
    // stopped trail, changed by backdoor-admin, who the pane names.
    s.wait_text("backdoor-ad");
    // The full attribution follows the diff: zoom the detail and go to its end.
    s.send(b"z\tG");
    s.wait_text("actor       backdoor-admin");
    // The console link on screen is an OSC 8 hyperlink.
    let start = Instant::now();
    while !String::from_utf8_lossy(&s.raw.lock().expect("raw")).contains("\x1b]8;;https://") {
        assert!(start.elapsed() < TIMEOUT, "no OSC 8 link:\n{}", s.screen());
        std::thread::sleep(Duration::from_millis(25));
    }
    s.send(b"\tz");
    s.wait_text("items 23/23");
    s.wait_for("attribution to finish", |sc| {
        !sc.contents().contains("attributing")
    });
    // The filter narrows to one actor's items.
    s.send(b"/actor:jane\r");
    s.wait_text("actor:jane (4 of 23)");
    s.wait_text("jane.doe@co");
    s.send(b"q");
    assert!(s.wait_exit().success());
    s.wait_restored();
}

#[test]
fn missing_aws_credentials_are_a_message_in_the_pane() {
    let none = tempfile::tempdir().expect("tempdir");
    let missing = none.path().join("missing");
    let missing = missing.to_str().expect("utf-8 path");
    let mut s = Session::start_env(
        &[
            "tests/fixtures/ingest/terraform-plan-v1.json",
            "--profile",
            "driftdeck-test-no-such-profile",
            "--region",
            "eu-west-1",
        ],
        &[],
        &[
            ("AWS_CONFIG_FILE", Some(missing)),
            ("AWS_SHARED_CREDENTIALS_FILE", Some(missing)),
            ("AWS_EC2_METADATA_DISABLED", Some("true")),
            ("AWS_ENDPOINT_URL", Some("http://127.0.0.1:9")),
            ("AWS_ACCESS_KEY_ID", None),
            ("AWS_SECRET_ACCESS_KEY", None),
            ("AWS_SESSION_TOKEN", None),
            ("AWS_PROFILE", None),
            ("AWS_WEB_IDENTITY_TOKEN_FILE", None),
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", None),
            ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", None),
            ("HOME", Some(none.path().to_str().expect("utf-8 path"))),
        ],
    );
    // The attribution follows the diff: wait for the lookup to fail (the actor column says so),
    // then zoom the detail and go to its end.
    s.wait_text("error");
    s.send(b"z\t");
    let shown = |t: &str| {
        t.contains("── attribution") && t.contains("status      error") && t.contains("no AWS credentials")
    };
    // The pane can still grow when the result arrives: go to the end until it shows.
    let start = Instant::now();
    while !shown(&s.screen()) {
        assert!(
            start.elapsed() < TIMEOUT,
            "no lookup error in the pane:\n{}",
            s.screen()
        );
        s.send(b"G");
        std::thread::sleep(Duration::from_millis(200));
    }
    // The rest keeps working.
    s.send(b"\tz");
    // Six drifted items, one of them noise only (a tag outside the plan's relevant_attributes
    // on a resource the plan does not change): hidden until H.
    s.wait_text("items 5/5");
    s.wait_text("1 noise-only hidden (H)");
    s.send(b"H");
    s.wait_text("items 6/6");
    s.wait_text("noise shown (H hides)");
    s.send(b"j");
    s.send(b"q");
    assert!(s.wait_exit().success());
    s.wait_restored();
}

#[test]
fn sighup_restores_the_terminal() {
    let mut s = Session::start(&["tests/fixtures/ingest/terraform-plan-v1.json"]);
    s.wait_for("the first frame", |sc| {
        sc.alternate_screen() && sc.contents().contains("desired (IaC)")
    });
    // portable-pty's signaller sends SIGHUP only (the hang-up of a closed terminal window).
    s.child.clone_killer().kill().expect("SIGHUP");
    let st = s.wait_exit();
    assert!(st.success(), "a hang-up is an orderly exit: {st:?}");
    s.wait_restored();
}

#[test]
fn a_bad_keymap_is_named_and_the_defaults_still_work() {
    let mut s = Session::start_with(
        &["tests/fixtures/ingest/terraform-plan-v1.json"],
        &[("keymap.toml", "[keys]\nteleport = [\"t\"]\n")],
    );
    s.wait_text("keymap.toml: invalid keymap");
    s.wait_text("teleport");
    s.send(b"j");
    s.wait_text(" 2/");
    s.send(b"q");
    assert!(s.wait_exit().success());
    s.wait_restored();
}

/// A stand-in `terraform` first on PATH: records its arguments, prints a line, exits 0 (so the
/// verification plan says "converged").
fn stand_in_terraform(dir: &std::path::Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin dir");
    let log = dir.join("terraform-args.log");
    let script = format!(
        "#!/bin/sh\necho \"$@\" >> '{}'\nprintf '\\033[32mstand-in terraform\\033[0m %s\\n' \"$1\"\nexit 0\n",
        log.display()
    );
    let tf = bin.join("terraform");
    std::fs::write(&tf, script).expect("script");
    std::fs::set_permissions(&tf, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    log
}

#[test]
fn revert_is_confirmed_by_typing_the_address_then_streams_and_is_journaled() {
    let tmp = tempfile::tempdir().expect("tmp");
    let iac = tmp.path().join("iac");
    files::copy_dir(std::path::Path::new("assets/demo/iac"), &iac);
    let log = stand_in_terraform(tmp.path());
    let path = format!(
        "{}:{}",
        tmp.path().join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let iac_arg = iac.display().to_string();
    let mut s = Session::start_env(
        &[
            "--iac-dir",
            &iac_arg,
            "--actor",
            "oncall@corp.example",
            "assets/demo/reports/terraform-plan.json",
        ],
        &[],
        &[("PATH", Some(path.as_str()))],
    );
    s.wait_text("aws_security_group.web");
    s.send(b"/aws_security_group.web\r");
    s.wait_text("filter: aws_security_group.web");
    s.send(b"r");
    s.wait_text("type aws_security_group.web to confirm");
    assert!(
        s.screen().contains("-target=aws_security_group.web"),
        "{}",
        s.screen()
    );
    // A wrong confirmation is refused.
    s.send(b"close the debug port\t\twrong\r");
    s.wait_text("must be exactly");
    assert!(!log.exists(), "nothing ran before the confirmation");
    // Fix it: clear the field (Ctrl-U) and type the address.
    s.send(b"\x15aws_security_group.web\r");
    s.wait_text("revert output");
    s.wait_text("= result: converged");
    // Colours of the tool's output are dropped, not shown as escapes.
    assert!(s.screen().contains("stand-in terraform plan"), "{}", s.screen());
    assert!(!s.screen().contains("u{1b}"), "{}", s.screen());
    s.wait_text("revert of 1 item(s): converged");
    s.send(b"\x1b");
    s.wait_for("the output pane to close", |sc| {
        !sc.contents().contains("revert output")
    });
    s.send(b"q");
    assert!(s.wait_exit().success());
    s.wait_restored();
    let args = std::fs::read_to_string(&log).expect("terraform ran");
    let runs: Vec<&str> = args.lines().collect();
    assert_eq!(runs.len(), 3, "plan, apply, verify: {args}");
    assert!(runs[0].starts_with("plan") && runs[0].contains("-target=aws_security_group.web"));
    assert!(runs[1].starts_with("apply"));
    assert!(runs[2].contains("-detailed-exitcode"));
    let journal = std::fs::read_to_string(iac.join(".driftdeck/journal.jsonl")).expect("journal");
    let kinds: Vec<String> = journal
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json");
            v["decision"].as_str().unwrap_or_default().to_string()
        })
        .collect();
    assert_eq!(kinds, ["revert", "revert-outcome"]);
    assert!(journal.contains("close the debug port") && journal.contains("oncall@corp.example"));
}

/// Starts the TUI on the demo's Terraform report with decisions in a scratch IaC directory.
fn desk_session(iac: &std::path::Path) -> Session {
    let iac_arg = iac.display().to_string();
    Session::start(&[
        "--iac-dir",
        &iac_arg,
        "--actor",
        "oncall@corp.example",
        "assets/demo/reports/terraform-plan.json",
    ])
}

/// An IaC directory nobody can write (here `/proc`, which even root cannot create files in)
/// still opens: the header says it is read-only and why, approve explains that nothing can be
/// recorded, and revert opens as a preview that says why.
#[cfg(target_os = "linux")]
#[test]
fn a_read_only_iac_directory_opens_and_decisions_say_why_they_only_preview() {
    let mut s = Session::start(&[
        "--iac-dir",
        "/proc",
        "--actor",
        "oncall@corp.example",
        "assets/demo/reports/terraform-plan.json",
    ]);
    s.wait_text("read-only: proc/ not writable");
    s.send(b"/aws_security_group.web\r");
    s.wait_text("filter: aws_security_group.web");
    s.send(b"p");
    s.wait_text("nothing can be recorded");
    // Esc alone (an Esc followed at once by `/` would read as Alt-/).
    s.send(b"\x1b");
    s.wait_text("filter cleared");
    s.send(b"/aws_instance.web[0]\r");
    s.wait_text("filter: aws_instance.web[0]");
    s.send(b"r");
    s.wait_text("proc/ not writable: shown only");
    s.send(b"\x1b");
    s.wait_text("nothing was recorded");
    s.send(b"q");
    assert!(s.wait_exit().success());
    s.wait_restored();
}

#[test]
fn too_small_ignores_keys_and_keeps_the_open_form() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut s = desk_session(tmp.path());
    s.wait_text("aws_security_group.web");
    s.wait_text("journal.jsonl");
    s.send(b"/aws_security_group.web\r");
    s.wait_text("filter: aws_security_group.web");
    s.send(b"p");
    s.wait_text("reason (required)");
    s.send(b"half a reason");
    s.wait_text("half a reason");
    s.resize(12, 50);
    s.wait_text("terminal too small");
    // Typed blind: more text, Tab, Enter, Esc. None of it may reach the form.
    s.send(b"xyz\t\r\x1b");
    std::thread::sleep(Duration::from_millis(300));
    s.resize(24, 80);
    s.wait_text("half a reason");
    let screen = s.screen();
    assert!(!screen.contains("half a reasonxyz"), "{screen}");
    assert!(
        screen.contains("reason (required)"),
        "the form is still open: {screen}"
    );
    assert!(
        !tmp.path().join(".driftdeck/journal.jsonl").exists(),
        "nothing journaled"
    );
    // q while too small quits at once, asking nothing of the hidden form.
    s.resize(12, 50);
    s.wait_text("terminal too small");
    s.send(b"q");
    assert!(s.wait_exit().success());
    s.wait_restored();
    assert!(
        !tmp.path().join(".driftdeck/journal.jsonl").exists(),
        "nothing journaled"
    );
}

#[test]
fn a_second_process_decision_appears_in_the_open_tui() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut s = desk_session(tmp.path());
    s.wait_text("aws_security_group.web");
    s.wait_text("journal.jsonl");
    // Another person approves from another terminal, through the binary.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_driftdeck"))
        .args([
            "approve",
            "assets/demo/reports/terraform-plan.json",
            "aws_security_group.web",
            "--reason",
            "vendor window",
            "--expires",
            "24h",
            "--iac-dir",
            tmp.path().to_str().expect("utf-8"),
            "--actor",
            "bob@corp.example",
        ])
        .env("DRIFTDECK_AWS_IDENTITY", "0")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("approve");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    s.wait_text("bob@corp.example approved aws_security_group.web");
    s.wait_for("the status column to follow", |sc| {
        sc.contents()
            .lines()
            .any(|l| l.contains("aws_security_group.web") && l.contains("approved"))
    });
    s.send(b"q");
    assert!(s.wait_exit().success());
    s.wait_restored();
}

/// Starts the TUI on the demo's Terraform report in a scratch IaC directory with `path` as PATH.
fn revert_session(tmp: &std::path::Path, path: &str) -> (Session, std::path::PathBuf) {
    let iac = tmp.join("iac");
    files::copy_dir(std::path::Path::new("assets/demo/iac"), &iac);
    let iac_arg = iac.display().to_string();
    let s = Session::start_env(
        &[
            "--iac-dir",
            &iac_arg,
            "--actor",
            "oncall@corp.example",
            "assets/demo/reports/terraform-plan.json",
        ],
        &[],
        &[("PATH", Some(path))],
    );
    (s, iac)
}

/// Opens the revert form of the security group and confirms it.
fn confirm_revert(s: &mut Session) {
    s.wait_text("aws_security_group.web");
    s.wait_text("journal.jsonl");
    s.send(b"/aws_security_group.web\r");
    s.wait_text("filter: aws_security_group.web");
    s.send(b"r");
    s.wait_text("type aws_security_group.web to confirm");
    s.send(b"close the debug port\t\taws_security_group.web\r");
}

#[test]
fn a_slow_revert_shows_its_step_and_elapsed_time_and_the_pane_reopens() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().expect("tmp");
    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    // A stand-in terraform that takes its time on every step.
    let tf = bin.join("terraform");
    std::fs::write(&tf, "#!/bin/sh\necho \"working on $1\"\nsleep 1.5\nexit 0\n").expect("script");
    std::fs::set_permissions(&tf, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let (mut s, _iac) = revert_session(tmp.path(), &path);
    confirm_revert(&mut s);
    s.wait_text("revert output");
    // The status line: spinner, the step, the elapsed seconds.
    s.wait_text("plan 1/3");
    s.wait_text("apply 2/3");
    s.wait_for("elapsed seconds", |sc| {
        sc.contents()
            .lines()
            .last()
            .is_some_and(|l| l.contains("revert aws_security_group.web: ") && l.contains("s "))
    });
    // Close the pane while it runs; the status line keeps the progress; O reopens it.
    s.send(b"\x1b");
    s.wait_for("the pane to close", |sc| !sc.contents().contains("revert output"));
    s.wait_text("verify 3/3");
    s.send(b"O");
    s.wait_text("revert output");
    s.wait_text("= result: converged");
    s.send(b"\x1b");
    s.wait_for("the pane to close", |sc| !sc.contents().contains("revert output"));
    s.send(b"q");
    assert!(s.wait_exit().success());
    s.wait_restored();
}

#[test]
fn a_tool_that_is_not_on_path_fails_in_the_pane_and_the_detail() {
    let tmp = tempfile::tempdir().expect("tmp");
    let empty = tmp.path().join("empty-bin");
    std::fs::create_dir_all(&empty).expect("bin");
    let path = empty.display().to_string();
    let (mut s, iac) = revert_session(tmp.path(), &path);
    confirm_revert(&mut s);
    s.wait_text("revert output");
    s.wait_text("terraform not found on PATH");
    s.send(b"\x1b");
    s.wait_for("the pane to close", |sc| !sc.contents().contains("revert output"));
    // The item's detail says what happened; the journal has the failed outcome.
    s.wait_text("revert failed: terraform not found on PATH");
    s.send(b"q");
    assert!(s.wait_exit().success());
    s.wait_restored();
    let journal = std::fs::read_to_string(iac.join(".driftdeck/journal.jsonl")).expect("journal");
    assert!(
        journal.contains("revert-outcome") && journal.contains("failed"),
        "{journal}"
    );
}

#[test]
fn yank_emits_osc52_with_the_address() {
    let mut s = Session::start(&["assets/demo/reports/terraform-plan.json"]);
    s.wait_text("aws_security_group.web");
    s.send(b"/aws_security_group.web\r");
    s.wait_text("filter: aws_security_group.web");
    s.send(b"y");
    s.wait_text("yanked to the clipboard: aws_security_group.web");
    // OSC 52 with the base64 of the address: "aws_security_group.web".
    let want = format!(
        "\x1b]52;c;{}\x07",
        driftdeck::tui::clipboard::base64(b"aws_security_group.web")
    );
    let start = Instant::now();
    loop {
        let raw = s.raw.lock().expect("raw").clone();
        if raw.windows(want.len()).any(|w| w == want.as_bytes()) {
            break;
        }
        assert!(start.elapsed() < TIMEOUT, "no OSC 52 in the output");
        std::thread::sleep(Duration::from_millis(25));
    }
    s.send(b"q");
    assert!(s.wait_exit().success());
    s.wait_restored();
}

#[test]
fn reload_keeps_selection_and_filter_and_watch_reloads_on_change() {
    let tmp = tempfile::tempdir().expect("tmp");
    let report = tmp.path().join("plan.json");
    std::fs::copy("assets/demo/reports/terraform-plan.json", &report).expect("copy");
    let report_arg = report.display().to_string();
    let iac_arg = tmp.path().display().to_string();
    let mut s = Session::start(&["--watch", "--iac-dir", &iac_arg, &report_arg]);
    s.wait_text("aws_security_group.web");
    s.send(b"/kind:modified\r");
    s.wait_text("filter: kind:modified");
    s.send(b"jj");
    s.wait_text(" 3/");
    let selected = |sc: &vt100::Screen| sc.contents().lines().last().unwrap_or_default().to_string();
    let before = selected(s.parser.lock().expect("parser").screen());
    let pos = before.split_whitespace().last().unwrap_or_default().to_string();
    // Ctrl-R reloads from disk: same position, same filter.
    s.send(b"\x12");
    s.wait_text("reloaded:");
    let screen = s.screen();
    assert!(screen.contains("filter: kind:modified"), "{screen}");
    assert!(
        selected(s.parser.lock().expect("parser").screen())
            .trim_end()
            .ends_with(&pos),
        "{screen}"
    );
    // --watch: a change to the file reloads by itself.
    s.send(b"j");
    s.wait_text(" 4/");
    let mut text = std::fs::read_to_string(&report).expect("read");
    text.push('\n');
    std::fs::write(&report, text).expect("touch the report");
    s.wait_text("reloaded:");
    assert!(s.screen().contains(" 4/"), "{}", s.screen());
    // The message log has why it reloaded (the status line moved on to the result).
    s.send(b"L");
    s.wait_text("a report changed on disk");
    s.send(b"\x1b");
    s.wait_for("the log to close", |sc| {
        !sc.contents().contains("messages (newest first)")
    });
    s.send(b"q");
    assert!(s.wait_exit().success());
    s.wait_restored();
}
