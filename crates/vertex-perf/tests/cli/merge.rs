//! Split runs: four `load --shard i/4` processes of one open-model run against vertex-sim,
//! started together with `--start-at`, then `merge`: nothing lost or counted twice, the
//! merged histogram is the merge of the shards', the per-second series sums theirs, the
//! thresholds are judged on the merged figures, and folders that are not the shards of one
//! run are refused.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use report_model::{LatencyHistogram, SuiteReport, Verdict};
use vertex_sim::Faults;

use crate::sim::RunningSim;
use crate::util::{Run, assert_setup_error, in_parallel, vertex_perf};

/// The whole run: 1000 arrivals at 400/s.
const WHOLE: u64 = 1000;

fn shard_run(url: &str, shard: &str, start_at: &str, out: &Path, requests: u64) -> Run {
    vertex_perf(&[
        "load",
        "--url",
        url,
        "-n",
        &requests.to_string(),
        "--rate",
        "400/s",
        "--max-in-flight",
        "400",
        "--shard",
        shard,
        "--start-at",
        start_at,
        "--out",
        out.to_str().unwrap(),
    ])
}

fn merge(shards: &[&PathBuf], out: &Path) -> Run {
    let mut args = vec!["merge".to_owned()];
    args.extend(shards.iter().map(|p| p.to_str().unwrap().to_owned()));
    args.extend([
        "--threshold".to_owned(),
        "load.success_rate > 99%".to_owned(),
        "--out".to_owned(),
        out.to_str().unwrap().to_owned(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    vertex_perf(&args)
}

#[test]
fn four_shards_merge_into_the_whole_run_exactly() {
    let sim = RunningSim::start(Faults::default());
    let url = format!("{}/health", sim.url());
    let dir = tempfile::tempdir().unwrap();
    let start_at = (chrono::Utc::now() + chrono::TimeDelta::seconds(3))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let folders: Vec<PathBuf> = (1..=4)
        .map(|i| dir.path().join(format!("shard{i}")))
        .collect();
    let runs: Vec<Run> = in_parallel(4, |i| {
        shard_run(&url, &format!("{}/4", i + 1), &start_at, &folders[i], WHOLE)
    });
    for run in &runs {
        run.assert_exit(0);
    }
    let shards: Vec<SuiteReport> = folders
        .iter()
        .map(|f| SuiteReport::read(&f.join("suite.json")).unwrap())
        .collect();
    let sizes: Vec<u64> = shards
        .iter()
        .map(|s| s.load.as_ref().unwrap().scenarios[0].total_requests)
        .collect();
    assert_eq!(sizes.iter().sum::<u64>(), WHOLE, "{sizes:?}");
    assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1);
    for (i, shard) in shards.iter().enumerate() {
        let segment = shard.meta.segment.as_ref().unwrap();
        assert_eq!((segment.index, segment.total), (i as u32 + 1, 4));
        assert!(segment.start_offset_us.unwrap() >= 0, "{segment:?}");
    }

    let out = dir.path().join("merged");
    let refs: Vec<&PathBuf> = folders.iter().collect();
    merge(&refs, &out).assert_exit(0);
    let merged = SuiteReport::read(&out.join("suite.json")).unwrap();
    assert!(merged.meta.segment.is_none());
    let scenario = &merged.load.as_ref().unwrap().scenarios[0];
    assert_eq!(scenario.total_requests, WHOLE);
    assert_eq!(scenario.successful_requests, WHOLE);

    // The merged histogram is the shards' histograms merged: same count, min, max and every
    // percentile.
    let mut expected = LatencyHistogram::new();
    for shard in &shards {
        expected.merge(
            &shard.load.as_ref().unwrap().scenarios[0]
                .response_time
                .histogram,
        );
    }
    assert_eq!(
        scenario.response_time.histogram.summary(),
        expected.summary()
    );
    assert_eq!(scenario.response_time.summary, expected.summary());

    // The series sums the shards' by wall-clock second.
    let start = shards
        .iter()
        .map(|s| s.load.as_ref().unwrap().scenarios[0].started_at)
        .min()
        .unwrap();
    let mut by_second: BTreeMap<u64, u64> = BTreeMap::new();
    for shard in &shards {
        let part = &shard.load.as_ref().unwrap().scenarios[0];
        let shift = u64::try_from((part.started_at - start).num_seconds()).unwrap();
        for second in &part.series {
            *by_second.entry(second.second + shift).or_default() += second.requests;
        }
    }
    let merged_series: BTreeMap<u64, u64> = scenario
        .series
        .iter()
        .map(|s| (s.second, s.requests))
        .collect();
    assert_eq!(merged_series, by_second);
    assert_eq!(by_second.values().sum::<u64>(), WHOLE);

    // Judged afresh, on the merged figures.
    assert_eq!(merged.thresholds.len(), 1);
    assert_eq!(merged.thresholds[0].verdict, Some(Verdict::Pass));
    assert_eq!(merged.thresholds[0].measured, Some(100.0));

    // Associative: the merge of two partial merges is the merge of all.
    let halves: Vec<PathBuf> = [(0, 1), (2, 3)]
        .iter()
        .enumerate()
        .map(|(n, (a, b))| {
            let half = dir.path().join(format!("half{n}"));
            let mut args = vec!["merge".to_owned(), "--partial".to_owned()];
            args.extend([&folders[*b], &folders[*a]].map(|p| p.to_str().unwrap().to_owned()));
            args.extend(["--out".to_owned(), half.to_str().unwrap().to_owned()]);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            vertex_perf(&args).assert_exit(0);
            half
        })
        .collect();
    let half = SuiteReport::read(&halves[0].join("suite.json")).unwrap();
    assert_eq!(half.meta.segment.as_ref().unwrap().covers, [1, 2]);
    let again = dir.path().join("again");
    merge(&[&halves[1], &halves[0]], &again).assert_exit(0);
    let again = SuiteReport::read(&again.join("suite.json")).unwrap();
    let again_scenario = &again.load.as_ref().unwrap().scenarios[0];
    assert!(again.meta.segment.is_none());
    assert_eq!(again_scenario.total_requests, WHOLE);
    assert_eq!(
        again_scenario.response_time.summary,
        scenario.response_time.summary
    );
    assert_eq!(again_scenario.series, scenario.series);
    assert_eq!(again_scenario.status_codes, scenario.status_codes);

    // Not the shards of one run: refused, nothing written.
    let refused = |shards: &[&PathBuf], needle: &str| {
        let out = dir.path().join("refused");
        let run = merge(shards, &out);
        assert_setup_error(&run, needle);
        assert!(!out.exists(), "nothing written for a refused merge");
    };
    refused(&refs[..3], "shard 4/4 missing");
    refused(&[refs[0], refs[0], refs[1], refs[2]], "given twice");
    refused(&[&halves[0], refs[1], refs[2], refs[3]], "given twice");
    let other = dir.path().join("other");
    shard_run(&url, "4/4", &start_at, &other, 2 * WHOLE).assert_exit(0);
    refused(
        &[refs[0], refs[1], refs[2], &other],
        "another target or workload",
    );
}
