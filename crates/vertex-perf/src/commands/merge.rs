//! `vertex-perf merge`: the shards of one split run (`load`, `suite` or `storage` with
//! `--shard i/N`) into the report of the whole run, judged afresh on the merged figures and
//! written like a run of that command.

use anyhow::{Context as _, Result};
use report_model::{Gate, RunKind, SuiteReport, Threshold};

use crate::cli::MergeArgs;
use crate::closing::Against;
use crate::output::Output;

/// Merges; exit 0, 1 (a threshold failed on the merged figures) or 2 (the folders are not
/// the shards of one run: nothing is written).
pub fn run(args: &MergeArgs, output: &mut Output) -> Result<u8> {
    let shards = args
        .shards
        .iter()
        .map(|dir| {
            SuiteReport::read(&dir.join("suite.json"))
                .with_context(|| format!("cannot read shard folder `{}`", dir.display()))
        })
        .collect::<Result<Vec<_>>>()?;
    let merged = if args.partial {
        report_model::merge::merge_partial(&shards)?
    } else {
        report_model::merge::merge_shards(&shards)?
    };
    let kind = shards[0]
        .meta
        .segment
        .as_ref()
        .map_or(RunKind::Load, report_model::meta::RunSegment::kind);
    output.note(&format!(
        "merged {} shards of a `{}` run, {}",
        shards.len(),
        kind.as_str(),
        shards[0].meta.run_id
    ));
    let gate = gate(args, kind, &shards);
    let folder = args.out.folder(&merged.meta.run_id);
    crate::closing::close(
        merged,
        kind,
        &gate,
        Against::Thresholds,
        &folder,
        |report| match kind {
            RunKind::Suite => crate::suite::summary_table(report),
            RunKind::Storage => crate::commands::storage::summary(report),
            _ => crate::commands::load::summary(report),
        },
        output,
    )
}

/// What the merged run is judged by: the thresholds given, else those the shards were
/// judged by (a suite's config file included), else the command's built-in ones; a watched
/// server that no shard sampled is a gap, as in a run of one process.
fn gate(args: &MergeArgs, kind: RunKind, shards: &[SuiteReport]) -> Gate {
    let judged_by: Vec<Threshold> = shards[0]
        .thresholds
        .iter()
        .filter_map(|result| Threshold::parse(&result.expression).ok())
        .collect();
    let gate = if args.thresholds.thresholds.is_empty() {
        Gate::new(kind).with_thresholds(&judged_by)
    } else {
        args.thresholds.gate(kind)
    };
    gate.expecting_sampler(
        shards
            .iter()
            .any(|s| s.sampler.is_some() || !s.hosts.is_empty()),
    )
}
