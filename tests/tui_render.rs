//! Snapshots of the TUI's screens at 80x24 and 120x40 (TestBackend + insta), and buffer-style
//! asserts where colour is the behaviour.

mod support;

use driftdeck::tui::{Action, Msg, Theme};
use ratatui::style::{Color, Modifier};
use support::{demo_state, find, render, screen, select, settle, text};

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

fn snap(name: &str, w: u16, h: u16, body: &str) {
    insta::assert_snapshot!(format!("{name}_{w}x{h}"), body);
}

#[test]
fn list_screen() {
    for (w, h) in SIZES {
        let s = demo_state(w, h);
        snap("list", w, h, &screen(&s));
    }
}

#[test]
fn security_group_rule_diff() {
    for (w, h) in SIZES {
        let mut s = demo_state(w, h);
        select(&mut s, "aws_security_group.web");
        let out = screen(&s);
        assert!(out.contains("0.0.0.0/0"), "{out}");
        snap("security_group_rule", w, h, &out);
    }
}

#[test]
fn iam_policy_diff() {
    for (w, h) in SIZES {
        let mut s = demo_state(w, h);
        select(&mut s, "aws_iam_role_policy.deploy");
        // Scroll the detail to the policy statements.
        // Scroll the detail until the new statement is on screen.
        settle(&mut s, Msg::Action(Action::Focus));
        for _ in 0..60 {
            if screen(&s).contains(r#""Sid": "HotfixBreakGlass""#) {
                break;
            }
            settle(&mut s, Msg::Action(Action::Down));
        }
        let out = screen(&s);
        assert!(out.contains(r#""Action": "*""#), "{out}");
        snap("iam_policy", w, h, &out);
    }
}

#[test]
fn masked_secret() {
    for (w, h) in SIZES {
        let mut s = demo_state(w, h);
        select(&mut s, "module.app[\"eu\"].aws_db_instance.main[0]");
        settle(&mut s, Msg::Action(Action::Focus));
        settle(&mut s, Msg::Action(Action::Bottom));
        let out = screen(&s);
        assert!(out.contains("(sensitive)"), "{out}");
        snap("masked_secret", w, h, &out);
    }
}

#[test]
fn help_overlay() {
    for (w, h) in SIZES {
        let mut s = demo_state(w, h);
        settle(&mut s, Msg::Action(Action::Help));
        let out = screen(&s);
        assert!(out.contains("filter"), "{out}");
        snap("help", w, h, &out);
    }
}

#[test]
fn filter_prompt() {
    for (w, h) in SIZES {
        let mut s = demo_state(w, h);
        settle(&mut s, Msg::Action(Action::Filter));
        for c in "sev>=high type:aws_*".chars() {
            settle(
                &mut s,
                Msg::Key(crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char(
                    c,
                ))),
            );
        }
        let out = screen(&s);
        snap("filter_prompt", w, h, &out);
    }
}

#[test]
fn too_small_message() {
    for (w, h) in [(50, 20), (80, 12)] {
        let s = demo_state(w, h);
        let out = screen(&s);
        assert!(out.contains("terminal too small"), "{out}");
        snap("too_small", w, h, &out);
    }
}

#[test]
fn changed_words_have_the_inline_backgrounds() {
    let mut s = demo_state(120, 40);
    select(&mut s, "aws_instance.web[0]");
    let b = render(&s, &Theme::default_dark());
    let screen = text(&b);
    let (lx, ly) = find(&b, "t3.medium").unwrap_or_else(|| panic!("{screen}"));
    let (rx, ry) = find(&b, "t3.xlarge").unwrap_or_else(|| panic!("{screen}"));
    assert_eq!(ly, ry, "aligned on one row");
    let (tx, lx, rx) = (lx - 1, lx + 3, rx + 3);
    // Changed words: the inline removed/added backgrounds from themes/default.toml.
    let t = Theme::default_dark();
    assert_eq!(b[(lx, ly)].bg, t.color("diff_inline_removed_bg"));
    assert_eq!(b[(rx, ry)].bg, t.color("diff_inline_added_bg"));
    // Unchanged text of a changed line: the row backgrounds.
    assert_eq!(b[(tx, ly)].bg, t.color("diff_removed_bg"));
    // Syntax colours give the foreground.
    assert!(matches!(b[(lx, ly)].fg, Color::Rgb(..)), "{:?}", b[(lx, ly)]);
}

#[test]
fn added_rows_have_the_added_background() {
    let mut s = demo_state(120, 40);
    select(&mut s, "aws_security_group.web");
    let b = render(&s, &Theme::default_dark());
    let (x, y) = find(&b, "\"0.0.0.0/0\"").unwrap_or_else(|| panic!("{}", text(&b)));
    let bg = b[(x, y)].bg;
    let t = Theme::default_dark();
    assert!(
        bg == t.color("diff_inline_added_bg") || bg == t.color("diff_added_bg"),
        "{bg:?}"
    );
    // The left side of an added row is not coloured: the pane background.
    assert_eq!(b[(2, y)].bg, t.color("background"), "{}", text(&b));
}

#[test]
fn no_color_marks_changes_by_emphasis() {
    let mut s = demo_state(120, 40);
    select(&mut s, "aws_instance.web[0]");
    let b = render(&s, &Theme::monochrome());
    let (x, y) = find(&b, "t3.xlarge").expect("xlarge");
    let x = x + 3;
    assert!(b[(x, y)].modifier.contains(Modifier::REVERSED));
    assert_eq!(b[(x, y)].bg, Color::Reset);
    assert_eq!(b[(x, y)].fg, Color::Reset);
}

#[test]
fn attribution_pane() {
    for (w, h) in SIZES {
        let mut s = demo_state(w, h);
        support::attribute_demo(&mut s);
        select(&mut s, "aws_security_group.web");
        let out = screen(&s);
        assert!(out.contains("jane.doe@corp.example"), "{out}");
        snap("attribution_pane", w, h, &out);
    }
}

#[test]
fn group_by_actor_overlay() {
    for (w, h) in SIZES {
        let mut s = demo_state(w, h);
        support::attribute_demo(&mut s);
        settle(&mut s, Msg::Action(Action::GroupByActor));
        settle(&mut s, Msg::Action(Action::Down));
        let out = screen(&s);
        assert!(out.contains("who changed what"), "{out}");
        snap("group_by_actor", w, h, &out);
    }
}

/// The diff-first layout for each kind of demo item: deleted (desired only) and unmanaged
/// (live only); the modified kinds are the security group, policy and secret snapshots above.
#[test]
fn deleted_and_unmanaged_items_diff_first() {
    for (w, h) in SIZES {
        for (name, address) in [
            ("deleted_item", "aws_cloudwatch_log_group.audit"),
            ("unmanaged_item", "aws_iam_user.backdoor-admin"),
        ] {
            let mut s = demo_state(w, h);
            select(&mut s, address);
            let out = screen(&s);
            assert!(
                out.contains("desired (IaC)") && out.contains("live (cloud)"),
                "{out}"
            );
            snap(name, w, h, &out);
        }
    }
}

/// At 80x24, with the list visible and nothing scrolled, every demo item shows its first
/// changed line (a `-`/`+` row, or the rule of a changed secret) in the detail pane.
#[test]
fn first_changed_line_of_every_demo_item_is_visible_at_80x24() {
    let s0 = demo_state(80, 24);
    for i in 0..s0.report.items.len() {
        let mut s = demo_state(80, 24);
        let address = s.report.items[i].address.clone();
        select(&mut s, &address);
        let out = screen(&s);
        let detail: Vec<&str> = out
            .lines()
            .skip_while(|l| !l.starts_with('└'))
            .skip(2)
            .take_while(|l| !l.starts_with('└'))
            .collect();
        let changed = detail.iter().any(|l| {
            l.starts_with("│-")
                || l.starts_with("│+")
                || l.contains(" │ +")
                || l.contains(" │ -")
                || l.contains("sensitive: changed")
        });
        assert!(changed, "{address}: no changed line visible\n{out}");
        // The headline (severity first) and the pinned labels come first.
        assert!(detail.first().is_some_and(|l| l.len() > 5), "{out}");
        assert!(
            detail.get(1).is_some_and(|l| l.contains("desired (IaC)")),
            "{out}"
        );
    }
}
