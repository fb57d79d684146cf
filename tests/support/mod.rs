//! Shared helpers for the TUI tests: the demo incident loaded into a `State`, rendering into a
//! `TestBackend`, selecting items by address.

#![allow(
    dead_code,
    clippy::cast_possible_wrap,
    clippy::case_sensitive_file_extension_comparisons
)]

use driftdeck::classify::Taxonomy;
use driftdeck::model::DriftReport;
use driftdeck::tui::{self, Keymap, Msg, State, Theme, update};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

pub fn demo_report() -> DriftReport {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/reports");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("demo reports")
        .map(|e| e.expect("entry").path().display().to_string())
        .filter(|p| p.ends_with(".json"))
        .collect();
    files.sort();
    let taxonomy = Taxonomy::defaults().expect("taxonomy");
    let mut report = driftdeck::ingest::load_paths(&files, &taxonomy).expect("demo loads");
    // As the app loads it: noise hidden (H shows it).
    report.set_noise_shown(false);
    // Stable, short source names for snapshots.
    for it in &mut report.items {
        it.source = std::path::Path::new(&*it.source)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default()
            .into();
    }
    for r in &mut report.reports {
        r.path = std::path::Path::new(&r.path)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
    }
    report
}

pub fn demo_state(w: u16, h: u16) -> State {
    let mut s = State::new(demo_report(), Keymap::defaults(), w, h);
    settle(&mut s, Msg::Tick);
    s
}

/// Applies a message and runs its effects synchronously, with syntax colours.
pub fn settle(s: &mut State, msg: Msg) {
    let fx = update(s, msg);
    let h = Theme::default_dark().highlighter();
    tui::settle(s, fx, h.as_ref());
}

pub fn select(s: &mut State, address: &str) {
    let pos = s
        .visible
        .iter()
        .position(|&i| s.report.items[i as usize].address == address)
        .unwrap_or_else(|| panic!("{address} not in the list"));
    tui::update::move_selection(s, pos as isize - s.selected as isize);
    settle(s, Msg::Tick);
}

pub fn render(s: &State, theme: &Theme) -> Buffer {
    let mut t = Terminal::new(TestBackend::new(s.width, s.height)).expect("terminal");
    t.draw(|f| tui::views::draw(f, s, theme)).expect("draw");
    t.backend().buffer().clone()
}

pub fn text(b: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..b.area.height {
        let mut line = String::new();
        for x in 0..b.area.width {
            line.push_str(b[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

pub fn screen(s: &State) -> String {
    text(&render(s, &Theme::default_dark()))
}

/// Finds `needle` on screen; returns (x, y) of its first cell.
pub fn find(b: &Buffer, needle: &str) -> Option<(u16, u16)> {
    let want: Vec<char> = needle.chars().collect();
    for y in 0..b.area.height {
        let row: Vec<String> = (0..b.area.width)
            .map(|x| b[(x, y)].symbol().to_string())
            .collect();
        for x in 0..row.len() {
            if x + want.len() <= row.len()
                && want.iter().enumerate().all(|(k, c)| row[x + k] == c.to_string())
            {
                return Some((x as u16, y));
            }
        }
    }
    None
}

/// The demo incident attributed offline from its bundled CloudTrail logs, with the real
/// engine (what `driftdeck demo` feeds the TUI).
pub fn demo_attributions(report: &DriftReport) -> Vec<driftdeck::attribution::Attribution> {
    use driftdeck::attribution::{Setup, SourceChoice};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/cloudtrail");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let engine = Setup::new(SourceChoice::Archive(dir))
            .engine(report)
            .await
            .expect("demo engine");
        engine.attribute_all(&report.items).await
    })
}

/// Turns attribution on in `s` and feeds it every demo result, as the service would.
pub fn attribute_demo(s: &mut State) {
    use driftdeck::attribution::ServiceEvent;
    s.attribution = driftdeck::tui::state::AttributionState::Running;
    let total = s.report.items.len();
    for (n, a) in demo_attributions(&s.report).into_iter().enumerate() {
        settle(
            s,
            Msg::Attribution(ServiceEvent::Loaded {
                item_id: a.item_id.clone(),
                attribution: Box::new(a),
            }),
        );
        settle(s, Msg::Attribution(ServiceEvent::Progress { done: n + 1, total }));
    }
}
