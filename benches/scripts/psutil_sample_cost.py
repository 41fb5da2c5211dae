"""CPU cost of one full psutil sample of one process plus the host, the same set of figures
perf-sampler's Collector reads. Prints one JSON line like the Rust side.

usage: psutil_sample_cost.py PID SAMPLES [--uss]
"""
import json
import sys
import time

import psutil


def sample(proc, uss):
    with proc.oneshot():
        proc.ppid()
        proc.name()
        proc.cpu_times()
        if uss:
            proc.memory_full_info()  # rss, vms, uss, pss
        else:
            proc.memory_info()
        proc.num_threads()
        proc.num_fds()
        proc.io_counters()
        proc.num_ctx_switches()
    psutil.cpu_times()
    psutil.cpu_times(percpu=True)
    psutil.virtual_memory()
    psutil.swap_memory()
    psutil.getloadavg()
    psutil.disk_io_counters(perdisk=False)
    psutil.net_io_counters(pernic=True)


def main():
    pid, samples = int(sys.argv[1]), int(sys.argv[2])
    uss = "--uss" in sys.argv
    proc = psutil.Process(pid)
    for _ in range(100):
        sample(proc, uss)
    cpu_before = time.process_time()
    wall_before = time.perf_counter()
    for _ in range(samples):
        sample(proc, uss)
    cpu = time.process_time() - cpu_before
    wall = time.perf_counter() - wall_before
    print(json.dumps({
        "tool": "psutil " + psutil.__version__,
        "samples": samples,
        "cpu_ms_per_sample": round(cpu * 1000 / samples, 5),
        "wall_us_per_sample": round(wall * 1e6 / samples, 2),
    }))


if __name__ == "__main__":
    main()
