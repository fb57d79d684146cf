//! Load + classify + JSON listing of a generated 20,000-resource Terraform plan, against a bare
//! `serde_json::from_slice::<Value>` of the same bytes in the same run; plus peak memory of a
//! load relative to the file size (printed once before the timings).

mod common;

use std::hint::black_box;

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

fn bench(c: &mut Criterion) {
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
