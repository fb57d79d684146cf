//! TUI performance with 100,000 generated items: rendering a frame, a navigation step, a filter
//! keystroke; and, for a 20,000-resource plan (with `resource_changes` and `configuration`, and
//! drift-dense: every resource drifted, `resource_drift` only), the time from process start to
//! the first frame (the release binary in a pseudo-terminal, read through a terminal emulator).

mod common;

use std::hint::black_box;
use std::io::Read;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent};
use driftdeck::tui::{self, Action, Keymap, Msg, State, Theme, update};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const ITEMS: usize = 100_000;

fn state() -> State {
    let mut s = State::new(common::drift_report(ITEMS), Keymap::defaults(), 120, 40);
    let fx = update(&mut s, Msg::Tick);
    let h = Theme::default_dark().highlighter();
    tui::settle(&mut s, fx, h.as_ref());
    s
}

fn frame_and_navigation(c: &mut Criterion) {
    let theme = Theme::default_dark();
    let h = theme.highlighter();
    let mut s = state();
    let mut term = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    c.bench_function("tui/render_frame_100k", |b| {
        b.iter(|| {
            term.draw(|f| tui::views::draw(f, black_box(&s), &theme))
                .expect("draw");
        });
    });
    // A navigation step: the key, its effects (the next item's diff), one frame.
    let mut down = true;
    c.bench_function("tui/navigation_step_100k", |b| {
        b.iter(|| {
            let a = if down { Action::Down } else { Action::Up };
            down = !down;
            let fx = update(&mut s, Msg::Action(a));
            tui::settle(&mut s, fx, h.as_ref());
            term.draw(|f| tui::views::draw(f, &s, &theme)).expect("draw");
        });
    });
}

fn filter_keystroke(c: &mut Criterion) {
    let mut s = state();
    let _ = update(&mut s, Msg::Action(Action::Filter));
    for ch in "web".chars() {
        let _ = update(&mut s, Msg::Key(KeyEvent::from(KeyCode::Char(ch))));
    }
    // Alternately type and erase one character: each iteration is one keystroke that re-filters
    // all 100,000 items.
    let mut typed = false;
    c.bench_function("tui/filter_keystroke_100k", |b| {
        b.iter(|| {
            let k = if typed {
                KeyCode::Backspace
            } else {
                KeyCode::Char('1')
            };
            typed = !typed;
            black_box(update(&mut s, Msg::Key(KeyEvent::from(k))));
        });
    });
}

/// Spawns the binary on a 20,000-resource plan in a pty and measures until the first frame is
/// on screen (the detail pane's title has been drawn).
fn start_to_first_frame(c: &mut Criterion) {
    use portable_pty::{CommandBuilder, PtySize, native_pty_system};
    let dir = tempfile::tempdir().expect("tempdir");
    let mut g = c.benchmark_group("tui");
    g.sample_size(10).measurement_time(Duration::from_secs(30));
    // The 127 MB plan with `resource_changes` and `configuration`, and the drift-dense one
    // (every resource drifted, `resource_drift` only) of a nightly refresh-only run.
    let plans = [
        ("start_to_first_frame_20k", common::terraform_plan(20_000)),
        (
            "start_to_first_frame_20k_drift_dense",
            common::drift_dense_plan(20_000),
        ),
    ];
    for (name, bytes) in plans {
        let plan = dir.path().join(format!("{name}.json"));
        std::fs::write(&plan, bytes).expect("write plan");
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let pair = native_pty_system()
                        .openpty(PtySize {
                            rows: 40,
                            cols: 120,
                            pixel_width: 0,
                            pixel_height: 0,
                        })
                        .expect("pty");
                    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_driftdeck"));
                    cmd.arg(&plan);
                    cmd.env("DRIFTDECK_CONFIG_DIR", dir.path());
                    cmd.env("TERM", "xterm-256color");
                    let start = Instant::now();
                    let mut child = pair.slave.spawn_command(cmd).expect("spawn");
                    drop(pair.slave);
                    let mut reader = pair.master.try_clone_reader().expect("reader");
                    let mut parser = vt100::Parser::new(
                        std::num::NonZeroU16::new(40).expect("rows"),
                        std::num::NonZeroU16::new(120).expect("cols"),
                        0,
                    );
                    let mut buf = vec![0u8; 65536];
                    loop {
                        let n = reader.read(&mut buf).expect("read");
                        assert!(n > 0, "driftdeck exited before drawing");
                        parser.process(&buf[..n]);
                        if parser.screen().contents().contains("desired (IaC)") {
                            break;
                        }
                    }
                    total += start.elapsed();
                    let _ = child.kill();
                    let _ = child.wait();
                }
                total
            });
        });
    }
    g.finish();
}

/// Criterion estimates means; the targets are on tail latency. Times each operation singly
/// (2,000 samples) and prints p50 / p99 / max.
fn tail_latencies(_c: &mut Criterion) {
    fn report(name: &str, mut v: Vec<Duration>) {
        v.sort_unstable();
        let at = |q: f64| v[((v.len() - 1) as f64 * q) as usize];
        println!(
            "{name}: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms ({} samples)",
            at(0.5).as_secs_f64() * 1e3,
            at(0.99).as_secs_f64() * 1e3,
            at(1.0).as_secs_f64() * 1e3,
            v.len()
        );
    }
    const N: usize = 2_000;
    let theme = Theme::default_dark();
    let h = theme.highlighter();
    let mut s = state();
    let mut term = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    let mut frames = Vec::with_capacity(N);
    let mut steps = Vec::with_capacity(N);
    for i in 0..N {
        let t = Instant::now();
        term.draw(|f| tui::views::draw(f, &s, &theme)).expect("draw");
        frames.push(t.elapsed());
        // Walk forward through new items (each needs its diff prepared), then back.
        let a = if i < N / 2 { Action::Down } else { Action::Up };
        let t = Instant::now();
        let fx = update(&mut s, Msg::Action(a));
        tui::settle(&mut s, fx, h.as_ref());
        term.draw(|f| tui::views::draw(f, &s, &theme)).expect("draw");
        steps.push(t.elapsed());
    }
    report("tail/render_frame_100k", frames);
    report("tail/navigation_step_100k", steps);
    let mut s = state();
    let _ = update(&mut s, Msg::Action(Action::Filter));
    for ch in "web".chars() {
        let _ = update(&mut s, Msg::Key(KeyEvent::from(KeyCode::Char(ch))));
    }
    let mut keys = Vec::with_capacity(N);
    for i in 0..N {
        // Type one more character, then erase it: each keystroke re-filters all items.
        let k = if i % 2 == 0 {
            KeyCode::Char(['1', '-', 'x', '0'][(i / 2) % 4])
        } else {
            KeyCode::Backspace
        };
        let t = Instant::now();
        black_box(update(&mut s, Msg::Key(KeyEvent::from(k))));
        keys.push(t.elapsed());
    }
    report("tail/filter_keystroke_100k", keys);
}

criterion_group!(
    benches,
    tail_latencies,
    frame_and_navigation,
    filter_keystroke,
    start_to_first_frame
);
criterion_main!(benches);
