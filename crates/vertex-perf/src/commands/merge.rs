//! `vertex-perf merge`: the shards of one split run (`load --shard i/N`) into the report of
//! the whole run, judged afresh on the merged figures and written like a `load` run.

use anyhow::{Context as _, Result};
use report_model::{RunKind, SuiteReport};

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
    output.note(&format!(
        "merged {} shards of run {}",
        shards.len(),
        shards[0].meta.run_id
    ));
    let folder = args.out.folder(&merged.meta.run_id);
    crate::closing::close(
        merged,
        RunKind::Load,
        &args.thresholds.gate(RunKind::Load),
        Against::Thresholds,
        &folder,
        crate::commands::load::summary,
        output,
    )
}
