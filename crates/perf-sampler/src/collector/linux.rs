//! The Linux collector: `/proc` through `procfs` types and a few hand-parsed files, each
//! opened once and re-read from offset 0 on every tick.
//!
//! One file although it is long: it is the one place that knows `/proc`'s formats (stat,
//! status, io, smaps_rollup, the host files) and how a pid is found; the sampler above it
//! sees only snapshots.

use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use procfs::FromRead as _;
use procfs::net::TcpState;
use procfs::process::{FDTarget, Process, Stat};

use super::{
    CollectorOptions, CpuTicks, InterfaceCounters, ProcessSnapshot, Snapshot, SystemSnapshot,
};
use crate::{ProcessTarget, SamplerError};

/// How often the set of descendants is looked up again.
const DESCENDANT_RESCAN: Duration = Duration::from_secs(1);
/// Descendants watched at most (a fork bomb must not grow the sampler).
const MAX_PROCESSES: usize = 256;

/// A `/proc` file kept open between ticks.
struct ProcFile {
    path: PathBuf,
    file: File,
}

impl ProcFile {
    fn open(path: PathBuf) -> io::Result<ProcFile> {
        let file = File::open(&path)?;
        Ok(ProcFile { path, file })
    }

    /// Reads the whole file from offset 0 into `buf` with positioned reads and returns it:
    /// one `pread` per tick when the buffer is large enough, where a seek and `read_to_end`
    /// took five system calls (seek, the size probe's `statx` and seek, a read and the read
    /// that finds the end). A `/proc` file is generated on each read and fills what it is
    /// given up to its end, so a read shorter than the room it had is the end of the file.
    /// `buf` stays at its full, initialised length between ticks (no zeroing per read); it
    /// grows by doubling when a file fills it.
    fn read_into<'b>(&mut self, buf: &'b mut Vec<u8>) -> io::Result<&'b [u8]> {
        use std::os::unix::fs::FileExt as _;
        if buf.len() < READ_ROOM {
            buf.resize(READ_ROOM, 0);
        }
        let mut filled = 0;
        loop {
            match self.file.read_at(&mut buf[filled..], filled as u64) {
                Ok(read) => {
                    filled += read;
                    if filled < buf.len() {
                        return Ok(&buf[..filled]);
                    }
                    buf.resize(buf.len() * 2, 0);
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
    }
}

/// `bytes` as text: `/proc` files are ASCII, but a process name may hold any bytes.
fn text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// The first number of each `key: number ...` line whose key is one of `keys`, in the order
/// of `keys` (0 for a key not found); stops reading once every key is found, and parses
/// only the numbers asked for.
fn field_values<const N: usize>(bytes: &[u8], keys: [&str; N]) -> [u64; N] {
    let mut values = [0; N];
    let mut found = 0;
    for line in text(bytes).lines() {
        let Some((key, rest)) = line.split_once(':') else {
            continue;
        };
        if let Some(index) = keys.iter().position(|k| *k == key.trim()) {
            values[index] = rest
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            found += 1;
            if found == N {
                break;
            }
        }
    }
    values
}

/// The first size of the read buffer (the largest file read each tick, `/proc/stat` on a
/// many-core host, may need a few doublings; the buffer keeps its growth).
const READ_ROOM: usize = 16 * 1024;

/// True for the errors a vanished process gives: its files are gone (ENOENT) or its open
/// files refuse to read (ESRCH).
fn is_gone(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::NotFound || error.raw_os_error() == Some(3)
}

/// The files of one watched process.
struct ProcessReader {
    pid: u32,
    process: Process,
    stat: ProcFile,
    status: ProcFile,
    io: Option<ProcFile>,
    smaps_rollup: Option<ProcFile>,
}

impl ProcessReader {
    fn open(pid: u32, collect_uss: bool) -> io::Result<ProcessReader> {
        let base = PathBuf::from(format!("/proc/{pid}"));
        let process = Process::new(pid.cast_signed()).map_err(procfs_to_io)?;
        let stat = ProcFile::open(base.join("stat"))?;
        let status = ProcFile::open(base.join("status"))?;
        let io = ProcFile::open(base.join("io")).ok();
        let smaps_rollup = if collect_uss {
            Some(ProcFile::open(base.join("smaps_rollup"))?)
        } else {
            None
        };
        Ok(ProcessReader {
            pid,
            process,
            stat,
            status,
            io,
            smaps_rollup,
        })
    }

    fn read(&mut self, buf: &mut Vec<u8>, page_size: u64) -> io::Result<ProcessSnapshot> {
        let stat = Stat::from_read(self.stat.read_into(buf)?).map_err(procfs_to_io)?;
        let mut snapshot = ProcessSnapshot {
            pid: self.pid,
            parent_pid: u32::try_from(stat.ppid).unwrap_or(0),
            name: stat.comm,
            cpu_ticks: stat.utime + stat.stime,
            rss_bytes: stat.rss * page_size,
            vms_bytes: stat.vsize,
            threads: u64::try_from(stat.num_threads).unwrap_or(0),
            minor_faults: stat.minflt,
            major_faults: stat.majflt,
            ..ProcessSnapshot::default()
        };
        [
            snapshot.voluntary_ctx_switches,
            snapshot.involuntary_ctx_switches,
        ] = field_values(
            self.status.read_into(buf)?,
            ["voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"],
        );
        if let Some(io_file) = &mut self.io {
            [
                snapshot.read_chars,
                snapshot.write_chars,
                snapshot.read_bytes,
                snapshot.write_bytes,
            ] = field_values(
                io_file.read_into(buf)?,
                ["rchar", "wchar", "read_bytes", "write_bytes"],
            );
        }
        if let Some(smaps) = &mut self.smaps_rollup {
            let [pss_kib, clean, dirty, hugetlb] = field_values(
                smaps.read_into(buf)?,
                ["Pss", "Private_Clean", "Private_Dirty", "Private_Hugetlb"],
            );
            snapshot.uss_bytes = Some((clean + dirty + hugetlb) * 1024);
            snapshot.pss_bytes = Some(pss_kib * 1024);
        }
        snapshot.fds = self.process.fd_count().map_err(procfs_to_io)? as u64;
        Ok(snapshot)
    }
}

fn procfs_to_io(error: procfs::ProcError) -> io::Error {
    match error {
        procfs::ProcError::Io(err, _) => err,
        procfs::ProcError::NotFound(_) => io::Error::from(io::ErrorKind::NotFound),
        procfs::ProcError::PermissionDenied(_) => io::Error::from(io::ErrorKind::PermissionDenied),
        other => io::Error::other(other.to_string()),
    }
}

/// Host-wide files.
struct SystemReader {
    stat: ProcFile,
    meminfo: ProcFile,
    loadavg: ProcFile,
    diskstats: ProcFile,
    net_dev: ProcFile,
    whole_disks: HashSet<String>,
}

impl SystemReader {
    fn open() -> Result<SystemReader, SamplerError> {
        let open = |path: &str| {
            ProcFile::open(PathBuf::from(path)).map_err(|e| SamplerError::from_io(path, e))
        };
        Ok(SystemReader {
            stat: open("/proc/stat")?,
            meminfo: open("/proc/meminfo")?,
            loadavg: open("/proc/loadavg")?,
            diskstats: open("/proc/diskstats")?,
            net_dev: open("/proc/net/dev")?,
            whole_disks: whole_disks(),
        })
    }

    fn read(&mut self, buf: &mut Vec<u8>) -> Result<SystemSnapshot, SamplerError> {
        let mut system = SystemSnapshot::default();
        let read_error = |file: &ProcFile, e| SamplerError::from_io(file.path.clone(), e);

        let stat = self
            .stat
            .read_into(buf)
            .map_err(|e| read_error(&self.stat, e))?;
        for line in text(stat).lines() {
            let Some(rest) = line.strip_prefix("cpu") else {
                break;
            };
            let mut fields = rest.split_whitespace();
            let label = if rest.starts_with(' ') {
                None
            } else {
                fields.next()
            };
            // user nice system idle iowait irq softirq steal (guest time is inside user).
            let mut values = [0u64; 8];
            for (value, field) in values.iter_mut().zip(fields) {
                *value = field.parse().unwrap_or(0);
            }
            let total: u64 = values.iter().sum();
            let idle = values[3] + values[4];
            let ticks = CpuTicks {
                busy: total.saturating_sub(idle),
                total,
            };
            match label {
                None => system.cpu = ticks,
                Some(_) => system.per_core.push(ticks),
            }
        }

        let meminfo = self
            .meminfo
            .read_into(buf)
            .map_err(|e| read_error(&self.meminfo, e))?;
        let [total, available, swap_total, swap_free] = field_values(
            meminfo,
            ["MemTotal", "MemAvailable", "SwapTotal", "SwapFree"],
        );
        system.memory_total_bytes = total * 1024;
        system.memory_available_bytes = available * 1024;
        system.swap_total_bytes = swap_total * 1024;
        system.swap_free_bytes = swap_free * 1024;

        let loadavg = self
            .loadavg
            .read_into(buf)
            .map_err(|e| read_error(&self.loadavg, e))?;
        system.load_average_1m = text(loadavg)
            .split_whitespace()
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);

        let diskstats = self
            .diskstats
            .read_into(buf)
            .map_err(|e| read_error(&self.diskstats, e))?;
        for line in text(diskstats).lines() {
            // major minor name reads merged sectors-read ms writes merged sectors-written ...
            let mut fields = line.split_whitespace().skip(2);
            if !fields
                .next()
                .is_some_and(|name| self.whole_disks.contains(name))
            {
                continue;
            }
            let mut sectors = fields.skip(2).step_by(4).take(2);
            // Sectors are always 512 bytes in /proc/diskstats.
            let mut next = || sectors.next().and_then(|s| s.parse::<u64>().ok());
            if let (Some(read), Some(written)) = (next(), next()) {
                system.disk_read_bytes += read * 512;
                system.disk_write_bytes += written * 512;
            }
        }

        let net_dev = self
            .net_dev
            .read_into(buf)
            .map_err(|e| read_error(&self.net_dev, e))?;
        for line in text(net_dev).lines().skip(2) {
            let Some((name, counters)) = line.split_once(':') else {
                continue;
            };
            let values: Vec<u64> = counters
                .split_whitespace()
                .filter_map(|v| v.parse().ok())
                .collect();
            if values.len() >= 9 {
                system.network.push(InterfaceCounters {
                    name: name.trim().to_owned(),
                    rx_bytes: values[0],
                    tx_bytes: values[8],
                });
            }
        }
        Ok(system)
    }
}

/// Block devices that are whole physical disks (they have a `device` link), so partitions
/// and loop or device-mapper devices are not counted twice.
fn whole_disks() -> HashSet<String> {
    let Ok(entries) = fs::read_dir("/sys/block") else {
        return HashSet::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|entry| entry.path().join("device").exists())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect()
}

/// The Linux implementation of [`super::Collector`].
pub(super) struct LinuxCollector {
    root_pid: u32,
    options: CollectorOptions,
    processes: BTreeMap<u32, ProcessReader>,
    exited: Vec<u32>,
    root_alive: bool,
    last_rescan: Option<Instant>,
    system: SystemReader,
    page_size: u64,
    ticks_per_second: u64,
    buf: Vec<u8>,
}

impl LinuxCollector {
    pub(super) fn new(
        root_pid: u32,
        options: CollectorOptions,
    ) -> Result<LinuxCollector, SamplerError> {
        let root = ProcessReader::open(root_pid, options.collect_uss).map_err(|error| {
            if is_gone(&error) {
                SamplerError::NoSuchProcess { pid: root_pid }
            } else {
                SamplerError::from_io(format!("/proc/{root_pid}"), error)
            }
        })?;
        if root.io.is_none() {
            // Readable stat but unreadable io: another user's process.
            let path = format!("/proc/{root_pid}/io");
            if let Err(error) = File::open(&path) {
                return Err(SamplerError::from_io(path, error));
            }
        }
        let mut collector = LinuxCollector {
            root_pid,
            options,
            processes: BTreeMap::from([(root_pid, root)]),
            exited: Vec::new(),
            root_alive: true,
            last_rescan: None,
            system: SystemReader::open()?,
            page_size: procfs::page_size(),
            ticks_per_second: procfs::ticks_per_second(),
            buf: Vec::with_capacity(8192),
        };
        collector.rescan_descendants();
        Ok(collector)
    }

    pub(super) fn ticks_per_second(&self) -> u64 {
        self.ticks_per_second
    }

    pub(super) fn sample(&mut self) -> Result<Snapshot, SamplerError> {
        if self.options.include_children
            && self.root_alive
            && self
                .last_rescan
                .is_none_or(|at| at.elapsed() >= DESCENDANT_RESCAN)
        {
            self.rescan_descendants();
        }
        let taken_at = Instant::now();
        let mut processes = Vec::with_capacity(self.processes.len());
        let mut gone = Vec::new();
        for (pid, reader) in &mut self.processes {
            match reader.read(&mut self.buf, self.page_size) {
                Ok(snapshot) => processes.push(snapshot),
                Err(error) if is_gone(&error) => gone.push(*pid),
                Err(error) => {
                    let path = format!("/proc/{pid}");
                    return Err(SamplerError::from_io(path, error));
                }
            }
        }
        for pid in &gone {
            self.processes.remove(pid);
            if *pid == self.root_pid {
                self.root_alive = false;
            }
        }
        self.exited.extend(&gone);
        if !self.root_alive {
            // Descendants of an exited root are no longer "the server".
            self.exited.extend(self.processes.keys());
            self.processes.clear();
            processes.clear();
        }
        let system = self.system.read(&mut self.buf)?;
        Ok(Snapshot {
            taken_at,
            processes,
            exited: std::mem::take(&mut self.exited),
            system,
        })
    }

    /// Looks up the root's descendants through `/proc/PID/task/TID/children`, falling back to
    /// a scan of every process's parent when that file is missing.
    fn rescan_descendants(&mut self) {
        self.last_rescan = Some(Instant::now());
        if !self.options.include_children {
            return;
        }
        let descendants = descendants_by_children_files(self.root_pid)
            .unwrap_or_else(|| descendants_by_scan(self.root_pid));
        for pid in descendants {
            if self.processes.len() >= MAX_PROCESSES {
                break;
            }
            if let std::collections::btree_map::Entry::Vacant(slot) = self.processes.entry(pid)
                && let Ok(reader) = ProcessReader::open(pid, self.options.collect_uss)
            {
                slot.insert(reader);
            }
        }
    }
}

fn descendants_by_children_files(root: u32) -> Option<Vec<u32>> {
    let mut found = Vec::new();
    let mut queue = vec![root];
    while let Some(pid) = queue.pop() {
        let tasks = fs::read_dir(format!("/proc/{pid}/task")).ok()?;
        for task in tasks.filter_map(Result::ok) {
            let children = match fs::read_to_string(task.path().join("children")) {
                Ok(children) => children,
                Err(error) if error.kind() == io::ErrorKind::NotFound && pid == root => {
                    return None;
                }
                Err(_) => continue,
            };
            for child in children.split_whitespace().filter_map(|c| c.parse().ok()) {
                found.push(child);
                queue.push(child);
            }
        }
        if found.len() > MAX_PROCESSES {
            break;
        }
    }
    Some(found)
}

fn descendants_by_scan(root: u32) -> Vec<u32> {
    let Ok(all) = procfs::process::all_processes() else {
        return Vec::new();
    };
    let parents: Vec<(u32, u32)> = all
        .filter_map(Result::ok)
        .filter_map(|p| p.stat().ok())
        .map(|stat| (stat.pid as u32, stat.ppid as u32))
        .collect();
    let mut found = Vec::new();
    let mut queue = vec![root];
    while let Some(parent) = queue.pop() {
        for &(pid, ppid) in &parents {
            if ppid == parent && pid != root {
                found.push(pid);
                queue.push(pid);
            }
        }
    }
    found
}

pub(super) fn resolve_target(target: &ProcessTarget) -> Result<u32, SamplerError> {
    match target {
        ProcessTarget::Pid(pid) => {
            if Path::new(&format!("/proc/{pid}/stat")).exists() {
                Ok(*pid)
            } else {
                Err(SamplerError::NoSuchProcess { pid: *pid })
            }
        }
        ProcessTarget::Name(name) => find_by_name(name),
        ProcessTarget::Port(port) => find_by_port(*port),
    }
}

/// The oldest process whose `comm` (at most 15 bytes) or program file name is `name`.
fn find_by_name(name: &str) -> Result<u32, SamplerError> {
    let comm_name: String = name.chars().take(15).collect();
    let own_pid = std::process::id();
    let all = procfs::process::all_processes()
        .map_err(|e| SamplerError::from_io("/proc", procfs_to_io(e)))?;
    let mut best: Option<(u64, u32)> = None;
    for process in all.filter_map(Result::ok) {
        let Ok(stat) = process.stat() else { continue };
        let pid = stat.pid as u32;
        if pid == own_pid {
            continue;
        }
        let matches = stat.comm == comm_name
            || process
                .exe()
                .ok()
                .and_then(|exe| exe.file_name().map(|f| f.to_string_lossy() == name))
                .unwrap_or(false);
        if matches && best.is_none_or(|(start, _)| stat.starttime < start) {
            best = Some((stat.starttime, pid));
        }
    }
    best.map(|(_, pid)| pid)
        .ok_or_else(|| SamplerError::NoProcessNamed {
            name: name.to_owned(),
        })
}

/// The oldest process holding a socket that listens on `port`.
fn find_by_port(port: u16) -> Result<u32, SamplerError> {
    let mut inodes = HashSet::new();
    for entries in [procfs::net::tcp(), procfs::net::tcp6()] {
        // A kernel without IPv6 has no tcp6 table: not an error.
        for entry in entries.unwrap_or_default() {
            if entry.state == TcpState::Listen && entry.local_address.port() == port {
                inodes.insert(entry.inode);
            }
        }
    }
    if inodes.is_empty() {
        return Err(SamplerError::NoListener { port });
    }
    let all = procfs::process::all_processes()
        .map_err(|e| SamplerError::from_io("/proc", procfs_to_io(e)))?;
    let mut best: Option<(u64, u32)> = None;
    for process in all.filter_map(Result::ok) {
        let Ok(fds) = process.fd() else { continue };
        let owns = fds
            .filter_map(Result::ok)
            .any(|fd| matches!(fd.target, FDTarget::Socket(inode) if inodes.contains(&inode)));
        if owns
            && let Ok(stat) = process.stat()
            && best.is_none_or(|(start, _)| stat.starttime < start)
        {
            best = Some((stat.starttime, stat.pid as u32));
        }
    }
    best.map(|(_, pid)| pid)
        .ok_or(SamplerError::ListenerNotVisible { port })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_larger_than_one_read_comes_back_whole_on_every_tick() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        let content: Vec<u8> = (0..(3 * READ_ROOM + 123))
            .map(|i| (i % 251) as u8)
            .collect();
        std::fs::write(&path, &content).unwrap();
        let mut file = ProcFile::open(path.clone()).unwrap();
        let mut buf = Vec::new();
        for _ in 0..2 {
            assert_eq!(file.read_into(&mut buf).unwrap(), content);
        }
        // Shorter now: the stale tail of the last read does not survive.
        std::fs::write(&path, b"short").unwrap();
        assert_eq!(file.read_into(&mut buf).unwrap(), b"short");
    }

    #[test]
    fn fields_are_found_by_key_and_only_those_parsed() {
        let status = b"Name:\tsleep\nState:\tS (sleeping)\nvoluntary_ctxt_switches:\t12\nnonvoluntary_ctxt_switches:\t3\n";
        assert_eq!(
            field_values(
                status,
                [
                    "nonvoluntary_ctxt_switches",
                    "voluntary_ctxt_switches",
                    "Missing"
                ]
            ),
            [3, 12, 0]
        );
    }

    #[test]
    fn proc_files_read_as_a_plain_read_does() {
        let mut buf = Vec::new();
        for path in ["/proc/self/status", "/proc/meminfo", "/proc/self/io"] {
            let mut file = ProcFile::open(PathBuf::from(path)).unwrap();
            let ours = String::from_utf8(file.read_into(&mut buf).unwrap().to_vec()).unwrap();
            let plain = std::fs::read_to_string(path).unwrap();
            // Same lines (values such as the memory figures move between two reads).
            let keys = |text: &str| -> Vec<String> {
                text.lines()
                    .map(|l| l.split(':').next().unwrap_or_default().to_owned())
                    .collect()
            };
            assert_eq!(keys(&ours), keys(&plain), "{path}");
            assert!(ours.ends_with('\n'), "{path} read to its end");
        }
    }
}
