//! Headless tests: drive `update` with keys, actions, mouse and worker messages; assert state.

mod support;

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use driftdeck::model::Severity;
use driftdeck::tui::input::TextOverlay;
use driftdeck::tui::state::{Focus, Overlay, SortKey};
use driftdeck::tui::{Action, Effect, Msg, update};
use support::{demo_state, settle};

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::from(KeyCode::Char(c)))
}

fn type_text(s: &mut driftdeck::tui::State, t: &str) {
    for c in t.chars() {
        settle(s, key(c));
    }
}

#[test]
fn filter_narrows_live_and_esc_restores() {
    let mut s = demo_state(80, 24);
    let all = s.visible.len();
    assert!(all >= 20, "demo has {all} items");
    settle(&mut s, key('/'));
    assert!(matches!(s.overlays.last(), Some(Overlay::Filter { .. })));
    type_text(&mut s, "sev>=high");
    assert!(s.visible.len() < all);
    assert!(
        s.visible
            .iter()
            .all(|&i| s.report.items[i as usize].severity >= Severity::High)
    );
    let high = s.visible.len();
    // Keep typing: a term still being written does not parse; the last good filter stays.
    type_text(&mut s, " kind:unm");
    assert!(s.filter_error.is_some());
    type_text(&mut s, "anaged");
    assert!(s.filter_error.is_none());
    assert!(s.visible.len() < high && !s.visible.is_empty());
    assert!(
        s.visible
            .iter()
            .all(|&i| s.report.items[i as usize].kind == driftdeck::model::Kind::Unmanaged)
    );
    settle(&mut s, Msg::Key(KeyEvent::from(KeyCode::Enter)));
    assert!(s.overlays.is_empty());
    assert_eq!(s.filter_text, "sev>=high kind:unmanaged");
    // Esc outside the prompt clears the filter.
    settle(&mut s, Msg::Key(KeyEvent::from(KeyCode::Esc)));
    assert_eq!(s.visible.len(), all);
    assert!(s.filter_text.is_empty());
}

#[test]
fn esc_in_the_prompt_restores_the_previous_filter() {
    let mut s = demo_state(80, 24);
    settle(&mut s, key('/'));
    type_text(&mut s, "type:aws_iam_*");
    settle(&mut s, Msg::Key(KeyEvent::from(KeyCode::Enter)));
    let iam = s.visible.clone();
    assert!(
        iam.iter()
            .all(|&i| s.report.items[i as usize].resource_type.starts_with("aws_iam_"))
    );
    settle(&mut s, key('/'));
    type_text(&mut s, " web");
    assert_ne!(s.visible, iam);
    settle(&mut s, Msg::Key(KeyEvent::from(KeyCode::Esc)));
    assert_eq!(s.visible, iam);
    assert_eq!(s.filter_text, "type:aws_iam_*");
}

#[test]
fn sort_cycles_and_keeps_the_selection() {
    let mut s = demo_state(80, 24);
    settle(&mut s, key('j'));
    settle(&mut s, key('j'));
    let picked = s.selected_index();
    assert_eq!(s.sort, SortKey::Severity);
    settle(&mut s, key('s'));
    assert_eq!(s.sort, SortKey::Address);
    assert_eq!(s.selected_index(), picked);
    let addrs: Vec<&str> = s
        .visible
        .iter()
        .map(|&i| s.report.items[i as usize].address.as_str())
        .collect();
    assert!(addrs.windows(2).all(|w| w[0] <= w[1]), "{addrs:?}");
    settle(&mut s, key('s'));
    assert_eq!(s.sort, SortKey::Kind);
    let kinds: Vec<_> = s
        .visible
        .iter()
        .map(|&i| s.report.items[i as usize].kind)
        .collect();
    assert!(kinds.windows(2).all(|w| w[0] <= w[1]));
    // Status, actor, when, then back to severity.
    settle(&mut s, key('s'));
    assert_eq!(s.sort, SortKey::Status);
    settle(&mut s, key('s'));
    assert_eq!(s.sort, SortKey::Actor);
    settle(&mut s, key('s'));
    assert_eq!(s.sort, SortKey::When);
    assert_eq!(s.selected_index(), picked);
    settle(&mut s, key('s'));
    assert_eq!(s.sort, SortKey::Severity);
    // S reverses: least severe first.
    settle(&mut s, key('S'));
    assert!(s.sort_reverse);
    assert_eq!(s.selected_index(), picked);
    let rev: Vec<_> = s
        .visible
        .iter()
        .map(|&i| s.report.items[i as usize].severity)
        .collect();
    assert!(rev.windows(2).all(|w| w[0] <= w[1]));
    assert!(support::screen(&s).contains("sev▲"));
    settle(&mut s, key('S'));
    let sev: Vec<_> = s
        .visible
        .iter()
        .map(|&i| s.report.items[i as usize].severity)
        .collect();
    assert!(sev.windows(2).all(|w| w[0] >= w[1]));
}

#[test]
fn navigation_keys_move_and_clamp() {
    let mut s = demo_state(80, 24);
    let n = s.visible.len();
    settle(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT)),
    );
    assert_eq!(s.selected, n - 1);
    settle(&mut s, key('j'));
    assert_eq!(s.selected, n - 1);
    settle(&mut s, key('g'));
    assert_eq!(s.selected, 0);
    settle(&mut s, Msg::Key(KeyEvent::from(KeyCode::PageDown)));
    let page = driftdeck::tui::layout::list_rows(80, 24);
    assert_eq!(s.selected, page);
    assert!(s.list_offset > 0 && s.selected < s.list_offset + page);
    settle(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
    );
    assert_eq!(s.selected, page - page / 2);
    settle(&mut s, Msg::Key(KeyEvent::from(KeyCode::Up)));
    assert_eq!(s.selected, page - page / 2 - 1);
}

#[test]
fn focus_moves_to_the_detail_which_then_scrolls() {
    let mut s = demo_state(80, 24);
    support::select(&mut s, "aws_iam_role_policy.deploy");
    let selected = s.selected;
    settle(&mut s, Msg::Key(KeyEvent::from(KeyCode::Tab)));
    assert_eq!(s.focus, Focus::Detail);
    settle(&mut s, key('j'));
    settle(&mut s, key('j'));
    assert_eq!(s.selected, selected, "j scrolls the detail, not the list");
    assert_eq!(s.detail_scroll, 2);
    settle(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT)),
    );
    let max = s.detail_scroll;
    settle(&mut s, key('j'));
    assert_eq!(s.detail_scroll, max, "clamped at the end");
    settle(&mut s, Msg::Key(KeyEvent::from(KeyCode::Enter)));
    assert_eq!(s.focus, Focus::List);
}

#[test]
fn resize_keeps_the_selection_visible() {
    let mut s = demo_state(120, 40);
    settle(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT)),
    );
    let rows = driftdeck::tui::layout::list_rows(120, 40);
    assert!(s.selected >= s.list_offset && s.selected < s.list_offset + rows);
    settle(&mut s, Msg::Resize(80, 24));
    let rows = driftdeck::tui::layout::list_rows(80, 24);
    assert!(rows < driftdeck::tui::layout::list_rows(120, 40));
    assert!(s.selected >= s.list_offset && s.selected < s.list_offset + rows);
    assert_eq!((s.width, s.height), (80, 24));
}

#[test]
fn space_marks_and_unmarks() {
    let mut s = demo_state(80, 24);
    let first = s.selected_index().expect("item");
    settle(&mut s, key(' '));
    assert!(s.is_marked(first));
    assert_eq!(s.selected, 1, "marking moves on");
    let second = s.selected_index().expect("item");
    settle(&mut s, key(' '));
    assert_eq!(s.marked, 2);
    assert_eq!(s.marked_indices(), {
        let mut v = vec![first, second];
        v.sort_unstable();
        v
    });
    assert!(support::screen(&s).contains('●'));
    settle(&mut s, key('k'));
    settle(&mut s, key(' '));
    assert!(!s.is_marked(second));
    assert_eq!(s.marked, 1);
    // Marks survive filtering and sorting.
    settle(&mut s, key('s'));
    assert!(s.is_marked(first));
}

#[test]
fn help_opens_scrolls_and_closes() {
    let mut s = demo_state(80, 24);
    settle(&mut s, key('?'));
    let Some(Overlay::Help(h)) = s.overlays.last() else {
        panic!("help not open");
    };
    assert!(
        h.lines
            .iter()
            .any(|l| l.contains("Ctrl-d") && l.contains("half page down"))
    );
    let selected = s.selected;
    settle(&mut s, key('j'));
    assert_eq!(s.selected, selected, "keys go to the overlay");
    settle(&mut s, Msg::Key(KeyEvent::from(KeyCode::Esc)));
    assert!(s.overlays.is_empty());
}

#[test]
fn text_overlays_are_generic() {
    let mut s = demo_state(80, 24);
    let lines = (0..100).map(|i| format!("line {i}")).collect();
    s.overlays.push(Overlay::Text(TextOverlay::new("preview", lines)));
    settle(&mut s, Msg::Key(KeyEvent::from(KeyCode::PageDown)));
    let Some(Overlay::Text(t)) = s.overlays.last() else {
        panic!("overlay");
    };
    assert!(t.scroll > 0);
    assert!(support::screen(&s).contains("preview"));
    settle(&mut s, key('q'));
    assert!(s.quit);
}

#[test]
fn ctrl_c_quits_even_in_the_prompt() {
    let mut s = demo_state(80, 24);
    settle(&mut s, key('/'));
    let fx = update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
    );
    assert!(fx.contains(&Effect::Quit));
}

#[test]
fn details_are_requested_once_and_stale_results_dropped() {
    let mut s = demo_state(80, 24);
    let fx = update(&mut s, Msg::Action(Action::Down));
    let Some(Effect::PrepareDetail { index, request }) = fx.first().cloned() else {
        panic!("{fx:?}");
    };
    assert_eq!(s.pending, 1);
    // Moving away and back does not ask again while the request is in flight.
    assert!(update(&mut s, Msg::Action(Action::Up)).is_empty());
    assert!(update(&mut s, Msg::Action(Action::Down)).is_empty());
    let detail = Arc::new(driftdeck::diff::prepare(&s.report.items[index], None));
    update(
        &mut s,
        Msg::DetailReady {
            index,
            request: request + 100,
            detail: Arc::clone(&detail),
        },
    );
    assert!(s.detail(index).is_none(), "a stale answer is dropped");
    update(
        &mut s,
        Msg::DetailReady {
            index,
            request,
            detail,
        },
    );
    assert!(s.detail(index).is_some());
}

#[test]
fn mouse_click_selects_and_wheel_scrolls() {
    let mut s = demo_state(80, 24);
    let list = driftdeck::tui::layout::inner(driftdeck::tui::layout::areas(80, 24).list);
    let click = MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: list.x + 5,
        row: list.y + 3,
        modifiers: KeyModifiers::NONE,
    };
    settle(&mut s, Msg::Mouse(click));
    // The first row of the list is its column headers.
    assert_eq!(s.selected, 2);
    let wheel = MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: list.x + 5,
        row: list.y,
        modifiers: KeyModifiers::NONE,
    };
    settle(&mut s, Msg::Mouse(wheel));
    assert_eq!(s.selected, 5);
}

/// `n` / `N` jump between changed attributes, the scroll is kept per item, `z` zooms.
#[test]
fn next_change_keeps_scroll_per_item_and_zooms() {
    let mut s = support::demo_state(80, 24);
    support::select(&mut s, "module.app[\"eu\"].aws_db_instance.main[0]");
    let db = s.selected_index().expect("selected");
    assert_eq!(s.detail_scroll, 0);
    support::settle(&mut s, Msg::Action(Action::NextChange));
    let first = s.detail_scroll;
    assert!(first > 0, "the second changed attribute is below the first");
    assert!(support::screen(&s).contains("── latest_restorable_time"));
    support::settle(&mut s, Msg::Action(Action::PrevChange));
    assert_eq!(s.detail_scroll, 0);
    support::settle(&mut s, Msg::Action(Action::NextChange));
    // Move away and back: the position is kept.
    support::settle(&mut s, Msg::Action(Action::Down));
    assert_ne!(s.selected_index(), Some(db));
    assert_eq!(s.detail_scroll, 0, "a new item starts at the top");
    support::settle(&mut s, Msg::Action(Action::Up));
    assert_eq!(s.selected_index(), Some(db));
    assert_eq!(s.detail_scroll, first);
    // Zoom: the list is gone, the detail fills the body; z again restores.
    support::settle(&mut s, Msg::Action(Action::Zoom));
    let out = support::screen(&s);
    assert!(!out.contains("items 23/23"), "{out}");
    assert!(out.contains("desired (IaC)"), "{out}");
    support::settle(&mut s, Msg::Action(Action::Zoom));
    assert!(support::screen(&s).contains("items 23/23"));
}

/// The filter prompt opens with the current filter selected (typing replaces it); a term that
/// does not parse never filters the list, while typing or after Enter.
#[test]
fn filter_prompt_replaces_the_selection_and_ignores_garbled_terms() {
    let mut s = demo_state(120, 40);
    settle(&mut s, Msg::Action(Action::Filter));
    for c in "sev>=critical".chars() {
        settle(&mut s, Msg::Key(KeyEvent::from(KeyCode::Char(c))));
    }
    settle(&mut s, Msg::Key(KeyEvent::from(KeyCode::Enter)));
    let critical = s.visible.len();
    assert!(critical > 0 && critical < s.report.items.len());
    // Reopen: the filter is selected; typing replaces it.
    settle(&mut s, Msg::Action(Action::Filter));
    match s.overlays.last() {
        Some(Overlay::Filter { input, .. }) => assert!(input.selected && input.text == "sev>=critical"),
        other => panic!("{other:?}"),
    }
    for c in "sev>=".chars() {
        settle(&mut s, Msg::Key(KeyEvent::from(KeyCode::Char(c))));
    }
    // "sev>=" does not parse: the list keeps the filter the prompt opened with.
    assert!(s.filter_error.is_some());
    assert_eq!(s.filter_text, "sev>=critical");
    assert_eq!(s.visible.len(), critical);
    settle(&mut s, Msg::Key(KeyEvent::from(KeyCode::Enter)));
    assert_eq!(s.filter_text, "sev>=critical");
    assert!(
        s.status
            .as_ref()
            .is_some_and(|m| m.text.contains("filter not applied"))
    );
}

/// Long messages are never cut: the status line shows the first line and `…`, the log (`L`)
/// holds every message, newest first, with times.
#[test]
fn message_log_keeps_every_message() {
    let mut s = demo_state(80, 24);
    s.set_status(
        driftdeck::tui::state::Level::Error,
        "first problem\nwith a second line",
    );
    s.set_status(driftdeck::tui::state::Level::Info, "second message");
    s.set_status(driftdeck::tui::state::Level::Error, "third\nline two");
    let out = support::screen(&s);
    assert!(out.lines().last().is_some_and(|l| l.contains("third …")), "{out}");
    settle(&mut s, Msg::Action(Action::Messages));
    let out = support::screen(&s);
    let third = out.find("third").expect("third");
    let second = out.find("second message").expect("second");
    let first = out.find("first problem").expect("first");
    assert!(third < second && second < first, "{out}");
    assert!(out.contains("with a second line"), "{out}");
}

/// Free text matches what the operator sees: values in the changes, the why, the controls; help
/// lists every filter field from the parser's own table.
#[test]
fn free_text_matches_values_why_and_controls_and_help_lists_every_field() {
    let mut s = demo_state(120, 40);
    driftdeck::tui::update::apply_filter(&mut s, "0.0.0.0/0");
    let shown: Vec<&str> = s
        .visible
        .iter()
        .map(|&i| s.report.items[i as usize].address.as_str())
        .collect();
    assert!(shown.contains(&"aws_security_group.web"), "{shown:?}");
    driftdeck::tui::update::apply_filter(&mut s, "\"PCI DSS 2.2\"");
    assert!(!s.visible.is_empty() && s.filter_error.is_none());
    driftdeck::tui::update::apply_filter(&mut s, "\"network exposure\"");
    assert!(
        s.visible
            .iter()
            .any(|&i| s.report.items[i as usize].address == "aws_security_group.web")
    );
    settle(&mut s, Msg::Action(Action::Help));
    let help = match s.overlays.last() {
        Some(Overlay::Help(o)) => o.lines.join("\n"),
        other => panic!("{other:?}"),
    };
    for f in driftdeck::tui::filter::FIELDS {
        assert!(
            help.contains(f.example),
            "{} missing from help:\n{help}",
            f.example
        );
        assert!(driftdeck::tui::filter::parse(&f.example.replace("KEY", "k")).is_ok());
    }
    assert!(driftdeck::tui::filter::parse("status:revert-failed").is_ok());
}

#[test]
fn h_shows_and_hides_noise_keeping_the_selection() {
    let mut s = demo_state(160, 40);
    support::select(&mut s, "aws_lambda_function.ingest");
    let noise_of = |s: &driftdeck::tui::State| {
        let it = s.selected_item().expect("selected");
        assert_eq!(it.address, "aws_lambda_function.ingest", "selection kept");
        it.changes.iter().filter(|c| c.noise.is_some()).count()
    };
    assert_eq!(noise_of(&s), 0, "read-back last_modified hidden at start");
    let out = support::screen(&s);
    assert!(!out.contains("noise shown"), "{out}");
    settle(&mut s, key('H'));
    assert!(s.show_noise);
    assert_eq!(noise_of(&s), 1, "last_modified back, marked noise");
    let out = support::screen(&s);
    assert!(out.contains("noise shown (H hides)"), "{out}");
    assert!(out.contains("last_modified"), "{out}");
    settle(&mut s, key('H'));
    assert!(!s.show_noise);
    assert_eq!(noise_of(&s), 0);
}
