//! [`host_info`]: the machine a run happens on, for `RunMeta`.

use report_model::meta::HostInfo;
use sysinfo::{CpuRefreshKind, Disks, MemoryRefreshKind, RefreshKind, System};

/// Describes this machine: OS, kernel, CPU model and cores, memory, and the size of the file
/// system holding the working directory.
pub fn host_info() -> HostInfo {
    let system = System::new_with_specifics(
        RefreshKind::nothing()
            .with_cpu(CpuRefreshKind::nothing())
            .with_memory(MemoryRefreshKind::nothing().with_ram()),
    );
    let cpu_model = system
        .cpus()
        .first()
        .map(|cpu| cpu.brand().trim().to_owned())
        .unwrap_or_default();
    let disk_total_bytes = std::env::current_dir().ok().and_then(|cwd| {
        let disks = Disks::new_with_refreshed_list();
        disks
            .list()
            .iter()
            .filter(|disk| cwd.starts_with(disk.mount_point()))
            .max_by_key(|disk| disk.mount_point().as_os_str().len())
            .map(sysinfo::Disk::total_space)
    });
    HostInfo {
        hostname: System::host_name(),
        os: System::long_os_version().unwrap_or_else(|| std::env::consts::OS.to_owned()),
        kernel: System::kernel_version().unwrap_or_default(),
        cpu_model,
        logical_cores: u32::try_from(system.cpus().len()).unwrap_or(u32::MAX),
        physical_cores: System::physical_core_count().and_then(|n| u32::try_from(n).ok()),
        memory_total_bytes: system.total_memory(),
        disk_total_bytes,
    }
}
