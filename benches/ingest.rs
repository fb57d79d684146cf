//! Load + classify + JSON listing of a generated 20,000-resource Terraform plan, against a bare
//! `serde_json::from_slice::<Value>` of the same bytes in the same run; plus peak memory of a
//! load relative to the file size (printed once before the timings).
//!
//! Before those, the release binary is run as a user runs it on drift-dense plans (20,000 and
//! 100,000 resources, every one drifted, `resource_drift` only) side by side with `jq empty` on
//! the same file: `check`, and `list --format json` written to a file (from a path and from
//! standard input), median of five interleaved rounds, with peak RSS; a wide driftctl scan; and
//! `check` from inside a large repository (20,000 resource blocks) against an empty directory.
//! Set `DRIFTDECK_BENCH_SKIP_PROCESSES=1` to skip that part.

mod common;

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use driftdeck::classify::Taxonomy;
use driftdeck::ingest::{Input, load_inputs};

const RESOURCES: usize = 20_000;

fn rss_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

/// Peak RSS growth while loading, as a multiple of the file size (Linux only).
fn report_memory(input: &Input, taxonomy: &Taxonomy) {
    // Reset the high-water mark so only the load is measured.
    if std::fs::write("/proc/self/clear_refs", "5").is_err() {
        eprintln!("memory: cannot reset VmHWM here; skipped");
        return;
    }
    let (Some(before), Some(_)) = (rss_kib("VmRSS:"), rss_kib("VmHWM:")) else {
        return;
    };
    let report = load_inputs(std::slice::from_ref(input), taxonomy).expect("loads");
    let json = serde_json::to_vec(&driftdeck::output::list_json(&report)).expect("serialises");
    let peak = rss_kib("VmHWM:").unwrap_or(before);
    let file_kib = input.bytes.len() as u64 / 1024;
    let extra = peak.saturating_sub(before);
    println!(
        "memory: file {:.1} MiB; peak RSS during load {:.1} MiB above the resident input ({:.2}x the file); \
         with the input itself {:.2}x; {} items, {} bytes of JSON out",
        file_kib as f64 / 1024.0,
        extra as f64 / 1024.0,
        extra as f64 / file_kib as f64,
        (extra + file_kib) as f64 / file_kib as f64,
        report.items.len(),
        json.len()
    );
}

// ---------------------------------------------------------------- side by side with jq

/// One command of the side-by-side comparison.
struct Cmd {
    name: &'static str,
    program: String,
    args: Vec<String>,
    /// Standard input from this file (`driftdeck list -`).
    stdin: Option<std::path::PathBuf>,
    /// Standard output to this file (the listing is written, like a user redirecting it).
    stdout: Option<std::path::PathBuf>,
}

/// Wall time and peak RSS (KiB) of one run, measured around `/usr/bin/time`, which reads the
/// child's `wait4` rusage (the lints forbid the unsafe call here).
fn run_once(cmd: &Cmd, dir: &std::path::Path) -> (f64, u64) {
    use std::process::{Command, Stdio};
    let rss_file = dir.join("rss.txt");
    let mut c = Command::new("/usr/bin/time");
    c.arg("-o")
        .arg(&rss_file)
        .args(["-f", "%M"])
        .arg(&cmd.program)
        .args(&cmd.args);
    c.env("DRIFTDECK_CONFIG_DIR", dir)
        .env("DRIFTDECK_IAC_DIR", dir)
        .env("DRIFTDECK_AWS_IDENTITY", "0");
    c.stdin(match &cmd.stdin {
        Some(p) => Stdio::from(std::fs::File::open(p).expect("open stdin file")),
        None => Stdio::null(),
    });
    c.stdout(match &cmd.stdout {
        Some(p) => Stdio::from(std::fs::File::create(p).expect("create output file")),
        None => Stdio::null(),
    });
    c.stderr(Stdio::inherit());
    let start = Instant::now();
    let status = c.status().expect("runs /usr/bin/time");
    let secs = start.elapsed().as_secs_f64();
    // `check` exits 2 when it finds drift (it always does here); anything else is a failure.
    assert!(
        status.success() || status.code() == Some(2),
        "{} failed: {status}",
        cmd.name
    );
    let rss = std::fs::read_to_string(&rss_file)
        .ok()
        .and_then(|s| s.lines().last().and_then(|l| l.trim().parse().ok()))
        .unwrap_or(0);
    (secs, rss)
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[s.len() / 2]
}

/// Figures of one command over the rounds.
struct Figures {
    times: Vec<f64>,
    rss_kib: Vec<u64>,
}

/// Rounds per command: 5, or `DRIFTDECK_BENCH_ROUNDS`.
fn rounds() -> usize {
    std::env::var("DRIFTDECK_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(5)
}

/// Runs `jq empty`, `driftdeck check` and `driftdeck list --format json > file` (from a path and
/// from standard input) on a drift-dense plan of `n` items, [`rounds`] times, interleaved so a busy
/// machine slows them alike; prints medians, spreads, ratios to jq and peak RSS against the file.
/// Returns the median seconds and RSS of each driftdeck command, for the scaling check.
fn side_by_side(n: usize, dir: &std::path::Path) -> Vec<(&'static str, f64, u64)> {
    let plan = dir.join(format!("drift-dense-{n}.json"));
    std::fs::write(&plan, common::drift_dense_plan(n)).expect("write plan");
    let file_mib = std::fs::metadata(&plan).map_or(0, |m| m.len()) as f64 / (1024.0 * 1024.0);
    // `DRIFTDECK_BENCH_BIN` measures another build (e.g. the one before a change) instead.
    let bin =
        std::env::var("DRIFTDECK_BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_driftdeck").to_string());
    let p = plan.display().to_string();
    let out = dir.join("list.json");
    let cmds = [
        Cmd {
            name: "jq empty plan.json",
            program: "jq".into(),
            args: vec!["empty".into(), p.clone()],
            stdin: None,
            stdout: None,
        },
        Cmd {
            name: "driftdeck check plan.json",
            program: bin.clone(),
            args: vec!["check".into(), p.clone()],
            stdin: None,
            stdout: None,
        },
        Cmd {
            name: "driftdeck list plan.json --format json > file",
            program: bin.clone(),
            args: vec!["list".into(), p.clone(), "--format".into(), "json".into()],
            stdin: None,
            stdout: Some(out.clone()),
        },
        Cmd {
            name: "driftdeck list - --format json < plan.json > file",
            program: bin,
            args: vec!["list".into(), "-".into(), "--format".into(), "json".into()],
            stdin: Some(plan.clone()),
            stdout: Some(out),
        },
    ];
    let mut figs: Vec<Figures> = cmds
        .iter()
        .map(|_| Figures {
            times: Vec::new(),
            rss_kib: Vec::new(),
        })
        .collect();
    let rounds = rounds();
    for _ in 0..rounds {
        for (c, f) in cmds.iter().zip(&mut figs) {
            let (t, rss) = run_once(c, dir);
            f.times.push(t);
            f.rss_kib.push(rss);
        }
    }
    println!(
        "\ndrift-dense plan, {n} items, {file_mib:.1} MiB, one line; {rounds} interleaved rounds, median [min–max]:"
    );
    let jq = median(&figs[0].times);
    let mut result = Vec::new();
    for (i, (c, f)) in cmds.iter().zip(&figs).enumerate() {
        let t = median(&f.times);
        let (lo, hi) = f
            .times
            .iter()
            .fold((f64::MAX, 0.0f64), |(lo, hi), x| (lo.min(*x), hi.max(*x)));
        let rss = f.rss_kib.iter().copied().max().unwrap_or(0);
        let rss_mib = rss as f64 / 1024.0;
        let ratio = if i == 0 {
            String::new()
        } else {
            // The spread of the ratio, round by round (each round ran jq just before).
            let rs: Vec<f64> = f.times.iter().zip(&figs[0].times).map(|(a, b)| a / b).collect();
            let (rlo, rhi) = rs
                .iter()
                .fold((f64::MAX, 0.0f64), |(lo, hi), x| (lo.min(*x), hi.max(*x)));
            format!("  {:.2}x jq [{rlo:.2}–{rhi:.2}x]", t / jq)
        };
        println!(
            "  {:<52} {t:.3} s [{lo:.3}–{hi:.3}]  peak RSS {rss_mib:.1} MiB ({:.2}x the file){ratio}",
            c.name,
            rss_mib / file_mib
        );
        if i > 0 {
            result.push((c.name, t, rss));
        }
    }
    result
}

/// The side-by-side figures at 20,000 and 100,000 items, and how cost grows between them.
fn report_side_by_side() {
    if std::env::var("DRIFTDECK_BENCH_SKIP_PROCESSES").is_ok() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let small = side_by_side(20_000, dir.path());
    // `DRIFTDECK_BENCH_SMALL_ONLY=1` stops after 20,000 items (a quick before/after check).
    if std::env::var("DRIFTDECK_BENCH_SMALL_ONLY").is_ok() {
        return;
    }
    let large = side_by_side(100_000, dir.path());
    println!("\ngrowth from 20,000 to 100,000 items (target ≤ 5.5x):");
    for ((name, t1, m1), (_, t5, m5)) in small.iter().zip(&large) {
        println!(
            "  {name:<52} time {:.2}x, peak RSS {:.2}x",
            t5 / t1,
            *m5 as f64 / *m1 as f64
        );
    }
    println!();
}

/// `driftdeck check REPORT` with the binary under test (`DRIFTDECK_BENCH_BIN` or this build's).
fn check(name: &'static str, report: &std::path::Path) -> Cmd {
    Cmd {
        name,
        program: std::env::var("DRIFTDECK_BENCH_BIN")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_driftdeck").to_string()),
        args: vec!["check".into(), report.display().to_string()],
        stdin: None,
        stdout: None,
    }
}

/// A wide report, as the security review tried it: a driftctl scan of 500,000 unmanaged
/// resources (about 110 MB). `check` once, its time and peak RSS against the file size.
fn report_wide() {
    const N: usize = 500_000;
    if std::env::var("DRIFTDECK_BENCH_SKIP_PROCESSES").is_ok() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let scan = dir.path().join("driftctl-wide.json");
    std::fs::write(&scan, common::wide_driftctl_scan(N)).expect("write scan");
    let file_mib = std::fs::metadata(&scan).map_or(0, |m| m.len()) as f64 / (1024.0 * 1024.0);
    let cmd = check("driftdeck check wide.json", &scan);
    let (secs, rss) = run_once(&cmd, dir.path());
    let rss_mib = rss as f64 / 1024.0;
    println!(
        "wide: driftctl scan of {N} unmanaged resources, {file_mib:.1} MiB: check {secs:.2} s, peak RSS {rss_mib:.0} MiB ({:.1}x the file)\n",
        rss_mib / file_mib
    );
}

/// `check` on the 20,000-item drift-dense plan from inside a large repository: a module directory
/// of 20,000 resource blocks (the resources the plan names, with `lifecycle.ignore_changes`, come
/// last), against an empty directory. Reading `ignore_changes` looked every drifted resource up
/// among all blocks (quadratic); this keeps that visible, since every other run here has no
/// sources at all.
fn report_large_repository() {
    use std::fmt::Write as _;
    const N: usize = 20_000;
    if std::env::var("DRIFTDECK_BENCH_SKIP_PROCESSES").is_ok() {
        return;
    }
    let (empty, repo) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let plan = empty.path().join("drift-dense.json");
    std::fs::write(&plan, common::drift_dense_plan(N)).expect("write plan");
    let mut tf = String::new();
    for i in 0..N {
        let _ = write!(
            tf,
            "resource \"aws_s3_bucket\" \"b{i}\" {{\n  bucket = \"b-{i}\"\n}}\n\n"
        );
    }
    for (kind, name) in [
        ("aws_security_group", "app"),
        ("aws_instance", "web"),
        ("aws_s3_bucket", "logs"),
    ] {
        let _ = write!(
            tf,
            "resource \"{kind}\" \"{name}\" {{\n  lifecycle {{\n    ignore_changes = [tags]\n  }}\n}}\n\n"
        );
    }
    std::fs::write(repo.path().join("main.tf"), &tf).expect("write sources");
    let cmd = check("driftdeck check plan.json", &plan);
    let (mut in_empty, mut in_repo) = (Vec::new(), Vec::new());
    for _ in 0..rounds() {
        in_empty.push(run_once(&cmd, empty.path()).0);
        in_repo.push(run_once(&cmd, repo.path()).0);
    }
    println!(
        "large repository: check on {N} drift-dense items with a module directory of {} resource blocks \
         ({:.1} MiB of .tf): {:.3} s, in an empty directory {:.3} s (medians of {})\n",
        N + 3,
        tf.len() as f64 / (1024.0 * 1024.0),
        median(&in_repo),
        median(&in_empty),
        in_repo.len()
    );
}

fn bench(c: &mut Criterion) {
    report_wide();
    report_large_repository();
    report_side_by_side();
    let bytes = common::terraform_plan(RESOURCES);
    let input = Input {
        path: "bench-plan.json".into(),
        bytes,
    };
    let taxonomy = Taxonomy::defaults().expect("taxonomy");
    report_memory(&input, &taxonomy);

    let mut g = c.benchmark_group(format!(
        "plan_{RESOURCES}_resources_{}MB",
        input.bytes.len() / 1_000_000
    ));
    g.sample_size(10);
    g.bench_function("baseline_serde_json_value", |b| {
        b.iter(|| black_box(serde_json::from_slice::<serde_json::Value>(&input.bytes).expect("parses")));
    });
    g.bench_function("load_classify_list_json", |b| {
        b.iter(|| {
            let report = load_inputs(std::slice::from_ref(&input), &taxonomy).expect("loads");
            let json = serde_json::to_vec(&driftdeck::output::list_json(&report)).expect("serialises");
            black_box(json.len())
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
