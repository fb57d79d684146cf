//! Attribution in the TUI, headless: results fill the actor/tool columns and the pane, filter
//! terms narrow the list, the group-by-actor view filters to one session, progress is shown
//! and cleared, the selected item jumps the queue, failures become messages.

mod support;

use driftdeck::attribution::ServiceEvent;
use driftdeck::tui::state::{AttributionState, Overlay};
use driftdeck::tui::update::apply_filter;
use driftdeck::tui::{Action, Effect, Msg, State, update};
use support::{attribute_demo, demo_state, screen, select, settle};

fn actor_of(s: &State, index: usize) -> String {
    s.attribution(index)
        .and_then(|a| a.best.as_ref())
        .map(|b| b.actor.display.clone())
        .unwrap_or_default()
}

fn visible_addresses(s: &State) -> Vec<String> {
    s.visible
        .iter()
        .map(|&i| s.report.items[i as usize].address.clone())
        .collect()
}

#[test]
fn results_fill_the_columns_and_the_pane() {
    let mut s = demo_state(120, 40);
    attribute_demo(&mut s);
    select(&mut s, "aws_security_group.web");
    let out = screen(&s);
    // List columns: actor and tool (jane's console change on the top row).
    assert!(out.contains("jane.doe@corp.exa"), "{out}");
    assert!(out.contains("console"), "{out}");
    assert!(out.contains("backdoor-admin"), "{out}");
    // The headline names who, with what, out of band, above the diff.
    let head = out
        .lines()
        .find(|l| l.contains("CRIT network exposure"))
        .unwrap_or_default();
    assert!(
        head.contains("jane.doe@corp.example · console") && head.contains("out-of-band"),
        "{out}"
    );
    // The full attribution follows the diff: zoom the detail and scroll to its end.
    settle(&mut s, Msg::Action(Action::Zoom));
    settle(&mut s, Msg::Action(Action::Focus));
    settle(&mut s, Msg::Action(Action::Bottom));
    let out = screen(&s);
    // The pane: who, when, with what, how sure, the event id and its console link.
    assert!(out.contains("── attribution"), "{out}");
    assert!(out.contains("AuthorizeSecurityGroupIngress"), "{out}");
    assert!(out.contains("8df08078-a22e-4180-85c2-c2af3977a654"), "{out}");
    assert!(out.contains("cloudtrailv2"), "{out}");
    assert!(out.contains("out of band"), "{out}");
    // Bob's failed attempt 2 minutes earlier is shown as a denied attempt, not the cause.
    assert!(out.contains("denied"), "{out}");
    let index = s.selected_index().expect("selected");
    assert_eq!(actor_of(&s, index), "jane.doe@corp.example");
}

#[test]
fn narrow_terminals_keep_the_actor_and_drop_the_tool() {
    let mut s = demo_state(80, 24);
    attribute_demo(&mut s);
    let out = screen(&s);
    let list: Vec<&str> = out.lines().skip(2).take(9).collect();
    assert!(
        list.iter()
            .any(|l| l.contains("oncall-sre") || l.contains("backdoor-ad")),
        "{out}"
    );
    assert!(!list.iter().any(|l| l.contains("aws-cli")), "{out}");
    for l in out.lines() {
        assert!(unicode_width::UnicodeWidthStr::width(l) <= 80, "{l}");
    }
}

#[test]
fn filter_terms_narrow_the_list() {
    let mut s = demo_state(120, 40);
    // A term typed before results arrive: nothing matches yet, then the list fills in.
    apply_filter(&mut s, "actor:bob");
    assert!(s.visible.is_empty());
    attribute_demo(&mut s);
    let bob = visible_addresses(&s);
    assert_eq!(bob.len(), 4, "{bob:?}");
    assert!(bob.contains(&"aws_iam_role_policy.deploy".to_string()), "{bob:?}");
    for &i in &s.visible {
        assert_eq!(actor_of(&s, i as usize), "bob");
    }

    apply_filter(&mut s, "tool:console");
    // jane (T1, T5, T8, C3) and root (D1, D2, D3).
    assert_eq!(s.visible.len(), 7, "{:?}", visible_addresses(&s));

    apply_filter(&mut s, "oob:true");
    assert_eq!(s.visible.len(), 22, "everything but the pipeline's tag change");
    apply_filter(&mut s, "oob:false");
    assert_eq!(visible_addresses(&s), vec!["aws_iam_role.ci".to_string()]);

    apply_filter(&mut s, "actor:jane sev:critical");
    assert_eq!(visible_addresses(&s), vec!["aws_security_group.web".to_string()]);

    apply_filter(&mut s, "-actor:jane");
    assert_eq!(s.visible.len(), 19);

    apply_filter(&mut s, "oob:maybe");
    assert!(
        s.filter_error
            .as_deref()
            .is_some_and(|e| e.contains("true or false"))
    );
}

#[test]
fn group_view_opens_and_enter_filters_to_the_group() {
    let mut s = demo_state(120, 40);
    settle(&mut s, Msg::Action(Action::GroupByActor));
    assert!(s.overlays.is_empty(), "attribution is off: no overlay");
    attribute_demo(&mut s);
    settle(&mut s, Msg::Action(Action::GroupByActor));
    let Some(Overlay::Groups(g)) = s.overlay() else {
        panic!("group overlay expected, got {:?}", s.overlay());
    };
    let total: usize = g.groups.iter().map(|r| r.items).sum();
    assert_eq!(total, 23);
    let pos = g
        .groups
        .iter()
        .position(|r| r.label.starts_with("bob"))
        .expect("bob's group");
    let items = g.groups[pos].items;
    for _ in 0..pos {
        settle(&mut s, Msg::Action(Action::Down));
    }
    let out = screen(&s);
    assert!(out.contains("who changed what"), "{out}");
    settle(&mut s, Msg::Action(Action::Focus));
    assert!(s.overlays.is_empty());
    assert!(s.filter_text.starts_with("session:"), "{}", s.filter_text);
    assert_eq!(s.visible.len(), items);
    for &i in &s.visible {
        assert_eq!(actor_of(&s, i as usize), "bob");
    }
    // Esc clears the group filter.
    settle(&mut s, Msg::Action(Action::Close));
    assert_eq!(s.visible.len(), 23);
    // Esc closes the overlay without filtering.
    settle(&mut s, Msg::Action(Action::GroupByActor));
    settle(&mut s, Msg::Action(Action::Close));
    assert!(s.overlays.is_empty() && s.filter_text.is_empty());
}

#[test]
fn progress_is_shown_then_cleared() {
    let mut s = demo_state(120, 40);
    s.attribution = AttributionState::Starting;
    assert!(screen(&s).contains("opening CloudTrail"));
    settle(
        &mut s,
        Msg::Attribution(ServiceEvent::Progress { done: 12, total: 23 }),
    );
    assert_eq!(s.attribution, AttributionState::Running);
    assert!(screen(&s).contains("attributing 12/23"));
    settle(
        &mut s,
        Msg::Attribution(ServiceEvent::Progress { done: 23, total: 23 }),
    );
    assert!(s.progress.is_empty());
    assert!(!screen(&s).contains("attributing"));
}

#[test]
fn athena_state_and_per_account_progress_show_in_the_header() {
    let mut s = demo_state(200, 40);
    settle(
        &mut s,
        Msg::Attribution(ServiceEvent::Activity(Some(
            "athena: query running 12 s, 1.4 GB scanned".into(),
        ))),
    );
    settle(
        &mut s,
        Msg::Attribution(ServiceEvent::Accounts(vec![
            ("111122223333".into(), 3, 20),
            ("444455556666".into(), 0, 3),
        ])),
    );
    let out = screen(&s);
    assert!(
        out.contains("athena: query running 12 s, 1.4 GB scanned"),
        "{out}"
    );
    assert!(out.contains("acct 111122223333 3/20"), "{out}");
    assert!(out.contains("acct 444455556666 0/3"), "{out}");
    // Done: the query state and the per-account counts leave the header; the cost is told once.
    settle(&mut s, Msg::Attribution(ServiceEvent::Activity(None)));
    settle(
        &mut s,
        Msg::Attribution(ServiceEvent::Accounts(vec![
            ("111122223333".into(), 20, 20),
            ("444455556666".into(), 3, 3),
        ])),
    );
    settle(
        &mut s,
        Msg::Attribution(ServiceEvent::Note(
            "athena: 1.4 GB scanned, about $0.0070 at $5/TB".into(),
        )),
    );
    let out = screen(&s);
    assert!(
        !out.contains("query running") && !out.contains("acct 4444"),
        "{out}"
    );
    assert!(out.contains("1.4 GB scanned, about $0.0070"), "{out}");
}

#[test]
fn the_selected_item_jumps_the_queue_once() {
    let mut s = demo_state(120, 40);
    // Off: no effect.
    assert!(
        !update(&mut s, Msg::Action(Action::Down))
            .iter()
            .any(|e| matches!(e, Effect::PrioritizeAttribution(_)))
    );
    s.attribution = AttributionState::Running;
    let fx = update(&mut s, Msg::Action(Action::Down));
    let id = s.selected_item().expect("selected").id.clone();
    assert!(fx.contains(&Effect::PrioritizeAttribution(id.clone())), "{fx:?}");
    // Same selection: not asked again.
    let fx = update(&mut s, Msg::Tick);
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::PrioritizeAttribution(_))),
        "{fx:?}"
    );
    // An item that already has its result is not prioritized.
    attribute_demo(&mut s);
    let fx = update(&mut s, Msg::Action(Action::Down));
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::PrioritizeAttribution(_))),
        "{fx:?}"
    );
}

#[test]
fn a_source_that_cannot_open_is_a_message_not_a_stop() {
    let mut s = demo_state(120, 40);
    s.attribution = AttributionState::Starting;
    settle(
        &mut s,
        Msg::AttributionFailed("no AWS credentials: run `aws sso login`\x1b[31m".into()),
    );
    let out = screen(&s);
    assert!(out.contains("unavailable"), "{out}");
    assert!(out.contains("aws sso login"), "{out}");
    assert!(!out.contains('\x1b'));
    // Everything else still works.
    settle(&mut s, Msg::Action(Action::Down));
    assert_eq!(s.selected, 1);
    // A warning from the service is sanitized into the status bar.
    settle(
        &mut s,
        Msg::Attribution(ServiceEvent::Warning("bad file\x07".into())),
    );
    let st = s.status.as_ref().expect("status");
    assert!(st.text.contains("bad file") && !st.text.contains('\x07'));
}

#[test]
fn the_pane_says_when_it_is_still_looking() {
    let mut s = demo_state(120, 40);
    s.attribution = AttributionState::Running;
    assert!(screen(&s).contains("looking up CloudTrail"));
}

#[test]
fn decisions_carry_the_attribution_summary() {
    let mut s = demo_state(120, 40);
    attribute_demo(&mut s);
    select(&mut s, "aws_iam_role_policy.deploy");
    let index = s.selected_index().expect("selected");
    let sums = driftdeck::tui::decisions::attribution_summaries(&s, &[index]);
    let sum = sums.get(&index).expect("summary");
    assert_eq!(sum.actor, "bob");
    assert_eq!(sum.event_id, "c1b87f1a-7323-491b-99f9-cbef0f69a4d0");
    assert_eq!(sum.tool.as_deref(), Some("aws-cli"));
    assert!(sum.out_of_band);
}

#[test]
fn an_approval_from_the_tui_journals_who_made_the_change() {
    use driftdeck::decide::{Decider, DeciderOptions};
    use driftdeck::tui::decisions::{DecisionJob, Prepared, Verb};
    let tmp = tempfile::tempdir().expect("tmp");
    let opts = DeciderOptions {
        actor: Some("reviewer@corp.example".into()),
        ..DeciderOptions::new(tmp.path())
    };
    let journal = opts.journal_path();
    let mut decider = Decider::open(opts).expect("decider");
    let mut s = demo_state(120, 40);
    attribute_demo(&mut s);
    select(&mut s, "aws_instance.web[1]");
    let index = s.selected_index().expect("selected");
    let job = DecisionJob {
        verb: Verb::Approve,
        targets: vec![index],
        reason: Some("debug tag during the incident".into()),
        ticket: None,
        expires: Some("72h".into()),
        confirmations: Vec::new(),
        prepared: Prepared::None,
    };
    s.deciding = true;
    s.pending += 1;
    driftdeck::tui::settle_with(
        &mut s,
        vec![Effect::Decide(Box::new(job))],
        None,
        Some(&mut decider),
        &mut |_| {},
    );
    let text = std::fs::read_to_string(&journal).expect("journal written");
    assert!(text.contains("jane.doe@corp.example"), "{text}");
    assert!(text.contains("f3194a3b-381e-43e7-952c-466e473a1797"), "{text}");
    assert!(text.contains("console"), "{text}");
}

#[test]
fn failed_lookups_can_be_retried_with_a_key() {
    let mut s = demo_state(120, 40);
    // Nothing to retry while attribution is off.
    let fx = update(&mut s, Msg::Action(Action::RetryAttribution));
    assert!(!fx.iter().any(|e| matches!(e, Effect::RetryAttribution(_))));
    attribute_demo(&mut s);
    let fx = update(&mut s, Msg::Action(Action::RetryAttribution));
    assert!(fx.iter().all(|e| !matches!(e, Effect::RetryAttribution(_))));
    assert!(s.status.as_ref().is_some_and(|m| m.text.contains("no failed")));
    // One lookup failed (say, an expired SSO token): R asks for it again and the pane waits.
    select(&mut s, "aws_kms_key.data");
    let index = s.selected_index().expect("selected");
    let item = s.report.items[index].clone();
    let mut failed = s.attribution(index).expect("attributed").as_ref().clone();
    failed.status = driftdeck::attribution::AttributionStatus::Error;
    failed.message = Some("the SSO session has expired: run aws sso login".into());
    failed.best = None;
    settle(
        &mut s,
        Msg::Attribution(ServiceEvent::Loaded {
            item_id: item.id.clone(),
            attribution: Box::new(failed),
        }),
    );
    assert!(screen(&s).contains("aws sso login"));
    let fx = update(&mut s, Msg::Action(Action::RetryAttribution));
    assert_eq!(
        fx.iter()
            .filter_map(|e| match e {
                Effect::RetryAttribution(v) => Some(v.clone()),
                _ => None,
            })
            .collect::<Vec<_>>(),
        vec![vec![index]]
    );
    assert!(s.attribution(index).is_none());
    assert!(screen(&s).contains("looking up CloudTrail"));
}
