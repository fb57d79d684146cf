//! Decisions from the TUI, headless: keys open the tiered forms, a submitted form is carried out
//! by a real `Decider` on a scratch copy of the demo's IaC sources, and the journal, the
//! approvals file, the `.tf` files and the screen state all show it.

mod support;

#[path = "support/files.rs"]
mod files;

use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use driftdeck::decide::{Decider, DeciderOptions};
use driftdeck::model::Status;
use driftdeck::tui::decisions::{FieldKind, Verb};
use driftdeck::tui::state::{Decisions, Level, Overlay, State};
use driftdeck::tui::{self, Msg, update};
use support::{demo_state, select};

struct Desk {
    state: State,
    decider: Decider,
    dir: tempfile::TempDir,
}

fn desk(read_only: bool) -> Desk {
    let dir = tempfile::tempdir().expect("tmp");
    files::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/iac"),
        dir.path(),
    );
    let decider = Decider::open(DeciderOptions {
        iac_dir: dir.path().to_path_buf(),
        actor: Some("oncall@corp.example".into()),
        read_only,
        ..DeciderOptions::default()
    })
    .expect("decider");
    let mut state = demo_state(120, 40);
    let ready = Decisions::Ready {
        read_only,
        why_read_only: None,
        iac_dir: dir.path().display().to_string(),
        actor: "oncall@corp.example".into(),
        journal: decider.options().journal_path().display().to_string(),
    };
    update(&mut state, Msg::DecisionsReady(ready));
    Desk { state, decider, dir }
}

impl Desk {
    fn send(&mut self, msg: Msg) {
        let fx = update(&mut self.state, msg);
        tui::settle_with(&mut self.state, fx, None, Some(&mut self.decider), &mut |_| {});
    }

    fn key(&mut self, code: KeyCode) {
        self.send(Msg::Key(KeyEvent::from(code)));
    }

    fn typed(&mut self, text: &str) {
        for c in text.chars() {
            self.key(KeyCode::Char(c));
        }
    }

    fn journal_lines(&self) -> Vec<serde_json::Value> {
        let p = self.dir.path().join(".driftdeck/journal.jsonl");
        std::fs::read_to_string(p)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("journal line is JSON"))
            .collect()
    }

    fn item(&self, address: &str) -> &driftdeck::model::DriftItem {
        self.state
            .report
            .items
            .iter()
            .find(|i| i.address == address)
            .expect("item")
    }

    fn index(&self, address: &str) -> usize {
        self.state
            .report
            .items
            .iter()
            .position(|i| i.address == address)
            .expect("item")
    }

    fn form(&self) -> &driftdeck::tui::decisions::DecisionForm {
        match self.state.overlays.last() {
            Some(Overlay::Decision(f)) => f,
            other => panic!("no decision form on top: {other:?}"),
        }
    }

    fn status(&self) -> (Level, String) {
        let s = self.state.status.as_ref().expect("a status message");
        (s.level, s.text.clone())
    }
}

#[test]
fn approving_a_critical_item_needs_a_reason_then_is_journaled_and_shown() {
    let mut d = desk(false);
    select(&mut d.state, "aws_security_group.web");
    d.key(KeyCode::Char('p'));
    let f = d.form();
    assert_eq!(f.verb, Verb::Approve);
    assert!(f.title.contains("aws_security_group.web") && f.title.contains("critical"));
    let kinds: Vec<FieldKind> = f.fields.iter().map(|f| f.kind).collect();
    assert_eq!(kinds, [FieldKind::Reason, FieldKind::Expires, FieldKind::Ticket]);
    assert!(f.fields[0].required);
    // Enter without a reason is refused; nothing is written.
    d.key(KeyCode::Enter);
    assert!(d.form().error.as_deref().is_some_and(|e| e.contains("reason")));
    assert!(d.journal_lines().is_empty());
    d.typed("INC-4817 vendor cutover");
    d.key(KeyCode::Tab);
    d.key(KeyCode::Tab);
    d.typed("SEC-12");
    d.key(KeyCode::Enter);
    assert!(d.state.overlays.is_empty(), "{:?}", d.state.overlays);
    let (level, text) = d.status();
    assert_eq!(level, Level::Info, "{text}");
    assert!(text.contains("approved aws_security_group.web"), "{text}");
    assert_eq!(d.item("aws_security_group.web").status, Status::Approved);
    assert!(d.item("aws_security_group.web").approval_expires.is_some());
    let i = d.index("aws_security_group.web");
    let note = d.state.side[&i].decision.clone().expect("decision line");
    assert!(
        note.contains("approve by oncall@corp.example") && note.contains("INC-4817"),
        "{note}"
    );
    let j = d.journal_lines();
    assert_eq!(j.len(), 1);
    assert_eq!(j[0]["decision"], "approve");
    assert_eq!(j[0]["reason"], "INC-4817 vendor cutover");
    assert_eq!(j[0]["ticket"], "SEC-12");
    assert_eq!(j[0]["item"]["address"], "aws_security_group.web");
    let approvals =
        std::fs::read_to_string(d.dir.path().join(".driftdeck/approvals.toml")).expect("approvals file");
    assert!(approvals.contains("aws_security_group.web"));
    // The header counts follow.
    assert!(d.state.counts_by_status().contains(&("approved", 1)));

    // `u` withdraws it: a compensating entry, the item is open again.
    d.key(KeyCode::Char('u'));
    assert_eq!(d.form().verb, Verb::Undo);
    d.typed("approved the wrong item");
    d.key(KeyCode::Enter);
    assert_eq!(d.item("aws_security_group.web").status, Status::Open);
    let j = d.journal_lines();
    assert_eq!(j.len(), 2);
    assert_eq!(j[1]["decision"], "withdraw");
    assert_eq!(j[1]["params"]["withdraws"], 1);
}

#[test]
fn batches_are_for_low_items_only() {
    let mut d = desk(false);
    for a in ["aws_iam_role.ci", "aws_instance.web[1]"] {
        select(&mut d.state, a);
        d.key(KeyCode::Char(' '));
    }
    select(&mut d.state, "aws_kms_key.data");
    d.key(KeyCode::Char(' '));
    assert_eq!(d.state.marked, 3);
    d.key(KeyCode::Char('p'));
    assert!(d.state.overlays.is_empty());
    let (level, text) = d.status();
    assert_eq!(level, Level::Error);
    assert!(
        text.contains("low items only") && text.contains("aws_kms_key.data"),
        "{text}"
    );
    // Unmark the high item: the two low ones go together, no reason required.
    select(&mut d.state, "aws_kms_key.data");
    d.key(KeyCode::Char(' '));
    assert_eq!(d.state.marked, 2);
    d.key(KeyCode::Char('p'));
    assert!(d.form().title.contains("2 marked items"));
    assert!(!d.form().fields[0].required);
    d.key(KeyCode::Enter);
    assert_eq!(d.item("aws_iam_role.ci").status, Status::Approved);
    assert_eq!(d.item("aws_instance.web[1]").status, Status::Approved);
    assert_eq!(d.state.marked, 0, "decided items are unmarked");
    assert_eq!(d.journal_lines().len(), 2);
    // Adopt is one item at a time.
    for a in ["aws_iam_role.ci", "aws_instance.web[1]"] {
        select(&mut d.state, a);
        d.key(KeyCode::Char(' '));
    }
    d.key(KeyCode::Char('a'));
    assert!(d.status().1.contains("one item at a time"));
}

#[test]
fn adopt_shows_the_diff_then_writes_the_tf_after_journaling() {
    let mut d = desk(false);
    let main_tf = d.dir.path().join("main.tf");
    let before = std::fs::read_to_string(&main_tf).expect("main.tf");
    // A count instance set through a variable: notes only, nothing to confirm.
    select(&mut d.state, "aws_instance.web[0]");
    d.key(KeyCode::Char('a'));
    assert!(!d.form().can_submit);
    assert!(
        d.form()
            .context
            .lines
            .iter()
            .any(|l| l.contains("terraform.tfvars"))
    );
    d.key(KeyCode::Esc);

    select(&mut d.state, "aws_lambda_function.ingest");
    d.key(KeyCode::Char('a'));
    let f = d.form();
    assert_eq!(f.verb, Verb::Adopt);
    let ctx = f.context.lines.join("\n");
    assert!(
        f.context.lines.iter().any(|l| l == " +  memory_size = 1024"),
        "{ctx}"
    );
    assert!(
        f.context.lines.iter().any(|l| l == " -  memory_size = 512"),
        "{ctx}"
    );
    assert!(
        ctx.contains("API_TOKEN") && ctx.contains("not overwritten"),
        "{ctx}"
    );
    assert!(f.can_submit, "{ctx}");
    // Esc cancels: nothing written, nothing journaled.
    d.key(KeyCode::Esc);
    assert!(d.state.overlays.is_empty());
    assert!(d.journal_lines().is_empty());
    d.key(KeyCode::Char('a'));
    d.key(KeyCode::Enter);
    assert!(
        d.form().error.as_deref().is_some_and(|e| e.contains("reason")),
        "high item needs a reason"
    );
    d.typed("keep the bigger size: load test");
    d.key(KeyCode::Enter);
    let (level, text) = d.status();
    assert_eq!(level, Level::Info, "{text}");
    assert!(text.contains("adopted aws_lambda_function.ingest"), "{text}");
    let j = d.journal_lines();
    assert_eq!(j.len(), 1);
    assert_eq!(j[0]["decision"], "adopt");
    let after = std::fs::read_to_string(&main_tf).expect("main.tf");
    assert!(after.contains("memory_size = 1024") && !after.contains("memory_size = 512"));
    let changed = before.lines().zip(after.lines()).filter(|(a, b)| a != b).count();
    assert_eq!(changed, 1, "only the drifted line changes");
    assert!(
        !walk_tf(d.dir.path()).contains("API_TOKEN = \""),
        "the secret is never written"
    );
}

fn walk_tf(dir: &Path) -> String {
    let mut out = String::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("e").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if !p.ends_with(".driftdeck") {
                out.push_str(&walk_tf(&p));
            }
        } else if p.extension().is_some_and(|e| e == "tf") {
            out.push_str(&std::fs::read_to_string(&p).expect("tf"));
        }
    }
    out
}

#[test]
fn revert_of_a_critical_item_needs_the_address_typed() {
    let mut d = desk(false);
    select(&mut d.state, "aws_security_group.web");
    d.key(KeyCode::Char('r'));
    let f = d.form();
    assert_eq!(f.verb, Verb::Revert);
    let ctx = f.context.lines.join("\n");
    assert!(
        ctx.contains("-target=aws_security_group.web") || ctx.contains("-target"),
        "{ctx}"
    );
    assert!(
        ctx.contains("exceptional"),
        "the targeting warning is shown: {ctx}"
    );
    let confirm = f
        .fields
        .iter()
        .position(|f| f.kind == FieldKind::Confirm)
        .expect("confirm field");
    d.typed("close the port again");
    for _ in 0..confirm {
        d.key(KeyCode::Tab);
    }
    d.typed("aws_security_group.wrong");
    d.key(KeyCode::Enter);
    assert!(
        d.form()
            .error
            .as_deref()
            .is_some_and(|e| e.contains("exactly aws_security_group.web")),
        "{:?}",
        d.form().error
    );
    assert!(
        d.journal_lines().is_empty(),
        "nothing recorded before the confirmation"
    );
    // Esc cancels the form.
    d.key(KeyCode::Esc);
    assert!(d.state.overlays.is_empty());
    assert!(d.status().1.contains("cancelled"));
}

#[test]
fn read_only_previews_but_never_records() {
    let mut d = desk(true);
    select(&mut d.state, "aws_security_group.web");
    d.key(KeyCode::Char('p'));
    assert!(d.state.overlays.is_empty());
    assert!(d.status().1.contains("read-only"));
    select(&mut d.state, "aws_instance.web[0]");
    d.key(KeyCode::Char('a'));
    let f = d.form();
    assert!(!f.can_submit);
    assert!(f.context.lines.iter().any(|l| l.contains("read-only")));
    // A view-only preview: nothing to type into, Enter just closes it.
    assert!(f.fields.is_empty());
    d.key(KeyCode::Enter);
    assert!(d.state.overlays.is_empty());
    assert!(d.journal_lines().is_empty());
    assert!(!d.dir.path().join(".driftdeck").exists());
}

#[test]
fn decision_keys_explain_when_decisions_are_unavailable() {
    let mut s = demo_state(80, 24);
    support::settle(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Char('p'), KeyModifiers::NONE)),
    );
    let st = s.status.clone().expect("status");
    assert_eq!(st.level, Level::Error);
    assert!(st.text.contains("decisions unavailable"), "{}", st.text);
    assert!(s.overlays.is_empty());
}

/// While "terminal too small" is shown, keys never reach an open form: typed characters and
/// Enter are ignored, the form keeps its text, and nothing is journaled.
#[test]
fn too_small_terminal_ignores_keys_and_keeps_the_open_form() {
    let mut d = desk(false);
    select(&mut d.state, "aws_security_group.web");
    d.key(KeyCode::Char('p'));
    d.typed("half a reason");
    d.send(Msg::Resize(50, 12));
    d.typed("xyz");
    d.key(KeyCode::Enter);
    d.key(KeyCode::Esc);
    d.send(Msg::Resize(120, 40));
    assert_eq!(d.form().fields[0].input.text, "half a reason");
    assert!(d.journal_lines().is_empty());
    // Quit is the one key that works (and asks nothing of the hidden form).
    d.send(Msg::Resize(50, 12));
    d.key(KeyCode::Char('q'));
    assert!(d.state.quit);
    assert!(matches!(d.state.overlays.last(), Some(Overlay::Decision(_))));
}

/// Fields validate as they are typed and on Enter; the form never closes on an error and keeps
/// what was typed. A refused decision reopens its form with the text and the reason.
#[test]
fn forms_validate_in_place_and_never_lose_input() {
    let mut d = desk(false);
    select(&mut d.state, "aws_security_group.web");
    d.key(KeyCode::Char('p'));
    d.typed("INC-4817 vendor cutover");
    d.key(KeyCode::Tab);
    // Replace the default expiry with a bad one: the error shows at once.
    for _ in 0..3 {
        d.key(KeyCode::Backspace);
    }
    d.typed("soon");
    assert!(
        d.form().error.as_deref().is_some_and(|e| e.contains("expires")),
        "{:?}",
        d.form().error
    );
    d.key(KeyCode::Enter);
    assert!(d.form().error.as_deref().is_some_and(|e| e.contains("expires")));
    assert_eq!(d.form().fields[0].input.text, "INC-4817 vendor cutover");
    assert!(d.journal_lines().is_empty());
    // A ticket with spaces is refused in place too.
    for _ in 0..4 {
        d.key(KeyCode::Backspace);
    }
    d.typed("72h");
    d.key(KeyCode::Tab);
    d.typed("SEC 12");
    d.key(KeyCode::Enter);
    assert!(d.form().error.as_deref().is_some_and(|e| e.contains("ticket")));
    d.key(KeyCode::Backspace);
    d.key(KeyCode::Backspace);
    d.key(KeyCode::Backspace);
    d.typed("-12");
    d.key(KeyCode::Enter);
    assert!(d.state.overlays.is_empty(), "{:?}", d.state.overlays);
    assert_eq!(d.journal_lines().len(), 1);
}

/// A read-only session's adoption preview has nothing to type into; keys other than close do
/// nothing.
#[test]
fn view_only_preview_has_no_fields() {
    let mut d = desk(true);
    select(&mut d.state, "aws_instance.web[0]");
    d.key(KeyCode::Char('a'));
    let f = d.form();
    assert!(f.fields.is_empty() && !f.can_submit, "{f:?}");
    d.typed("xyz");
    d.key(KeyCode::Tab);
    assert!(matches!(d.state.overlays.last(), Some(Overlay::Decision(_))));
    d.key(KeyCode::Esc);
    assert!(d.state.overlays.is_empty());
    assert!(d.journal_lines().is_empty());
}

/// Another process (another person) approves in the same journal: the watcher's read applies
/// it — status, decision line, a message naming who and what — and the open form on that item
/// says so before recording (a second Enter records anyway). This TUI's own decisions are not
/// announced as someone else's.
#[test]
fn others_decisions_apply_with_a_message_and_mark_open_forms_stale() {
    let mut d = desk(false);
    select(&mut d.state, "aws_security_group.web");
    let web = d.index("aws_security_group.web");
    // Our own decision first: not announced by the watcher.
    select(&mut d.state, "aws_instance.web[1]");
    d.key(KeyCode::Char('p'));
    d.key(KeyCode::Enter);
    let own = d.journal_lines().len();
    assert_eq!(own, 1);
    // Open a form on the security group, then bob approves it from another process.
    select(&mut d.state, "aws_security_group.web");
    d.key(KeyCode::Char('p'));
    d.typed("INC-4817 containment");
    let mut bob = Decider::open(DeciderOptions {
        iac_dir: d.dir.path().to_path_buf(),
        actor: Some("bob@corp.example".into()),
        ..DeciderOptions::default()
    })
    .expect("bob");
    let report = std::sync::Arc::clone(&d.state.report);
    bob.approve(
        &report,
        &report.items[web],
        &driftdeck::decide::ApproveInput {
            decision: driftdeck::decide::DecisionInput {
                reason: Some("vendor window".into()),
                ..Default::default()
            },
            expires: "24h".into(),
            attributes: vec![],
        },
    )
    .expect("bob approves");
    let opts = DeciderOptions::new(d.dir.path());
    let (entries, approvals) =
        driftdeck::decide::status::read(&opts.journal_path(), &opts.approvals_path()).expect("read");
    d.send(Msg::JournalRead {
        entries: std::sync::Arc::new(entries),
        approvals: std::sync::Arc::new(approvals),
    });
    let (_, text) = d.status();
    assert!(
        text.contains("bob@corp.example approved aws_security_group.web"),
        "{text}"
    );
    assert!(
        !text.contains("aws_instance.web[1]"),
        "own decision announced: {text}"
    );
    assert_eq!(d.item("aws_security_group.web").status, Status::Approved);
    let f = d.form();
    assert!(
        f.stale.as_deref().is_some_and(|s| s.contains("bob@corp.example")),
        "{f:?}"
    );
    // Enter once: the form says so and stays; Enter again records.
    d.key(KeyCode::Enter);
    assert!(
        d.form()
            .error
            .as_deref()
            .is_some_and(|e| e.contains("Enter again"))
    );
    assert_eq!(d.journal_lines().len(), 2);
    d.key(KeyCode::Enter);
    assert!(d.state.overlays.is_empty(), "{:?}", d.state.overlays);
    assert_eq!(d.journal_lines().len(), 3);
}

/// `e` asks for the evidence export next to the journal; the loop writes it off the render loop.
#[test]
fn export_key_asks_the_format_and_names_the_file_next_to_the_journal() {
    use driftdeck::decide::evidence::ExportFormat;
    let mut d = desk(false);
    let export_of = |fx: &[tui::Effect]| {
        fx.iter().find_map(|e| match e {
            tui::Effect::Export {
                format,
                path,
                journal,
            } => Some((*format, path.clone(), journal.clone())),
            _ => None,
        })
    };
    // `e` opens the chooser; nothing is written yet.
    let fx = update(&mut d.state, Msg::Key(KeyEvent::from(KeyCode::Char('e'))));
    assert!(export_of(&fx).is_none());
    assert!(matches!(d.state.overlays.last(), Some(Overlay::Export(0))));
    let screen = support::screen(&d.state);
    assert!(
        screen.contains("export the evidence as") && screen.contains("SARIF"),
        "{screen}"
    );
    // Esc cancels.
    let fx = update(&mut d.state, Msg::Key(KeyEvent::from(KeyCode::Esc)));
    assert!(export_of(&fx).is_none() && d.state.overlays.is_empty());
    // j j Enter picks the third format, SARIF.
    for k in [KeyCode::Char('e'), KeyCode::Char('j'), KeyCode::Char('j')] {
        update(&mut d.state, Msg::Key(KeyEvent::from(k)));
    }
    let fx = update(&mut d.state, Msg::Key(KeyEvent::from(KeyCode::Enter)));
    let (format, path, journal) = export_of(&fx).expect("an export effect");
    assert_eq!(format, ExportFormat::Sarif);
    assert_eq!(path.parent(), journal.parent());
    assert_eq!(path.extension().and_then(|e| e.to_str()), Some("sarif"));
    assert!(
        path.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("driftdeck-evidence-"))
    );
    assert!(d.status().1.contains("exporting the evidence to"));
    // A digit picks straight away: 4 is CSV.
    update(&mut d.state, Msg::Key(KeyEvent::from(KeyCode::Char('e'))));
    let fx = update(&mut d.state, Msg::Key(KeyEvent::from(KeyCode::Char('4'))));
    let (format, path, _) = export_of(&fx).expect("an export effect");
    assert_eq!(format, ExportFormat::Csv);
    assert_eq!(path.extension().and_then(|e| e.to_str()), Some("csv"));
}
