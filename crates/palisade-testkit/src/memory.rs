//! A process's memory as the kernel counts it (`/proc/PID/status`), for
//! tests of memory bounds: resident set now (`VmRSS`) and at its peak
//! (`VmHWM`), in KiB. Linux only; `None` elsewhere or once it has exited.

/// One `Vm*` line of `/proc/PID/status`, in KiB.
fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

/// The resident set size now.
pub fn rss_kib(pid: u32) -> Option<u64> {
    status_kib(pid, "VmRSS")
}

/// The largest resident set size the process has had.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    status_kib(pid, "VmHWM")
}

/// Polls [`rss_kib`] every 100 ms until it is at most `kib`, for at most
/// `patience`; the last reading.
pub fn rss_settles_below(pid: u32, kib: u64, patience: std::time::Duration) -> Option<u64> {
    let start = std::time::Instant::now();
    loop {
        let now = rss_kib(pid)?;
        if now <= kib || start.elapsed() >= patience {
            return Some(now);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Waits for `child`, reading its peak resident set every 5 ms while it
/// runs: the exit status and the largest peak read (the peak only grows,
/// so the last reading before exit is the run's, give or take its last
/// few milliseconds).
pub fn wait_with_peak(
    child: &mut std::process::Child,
) -> std::io::Result<(std::process::ExitStatus, u64)> {
    let pid = child.id();
    let mut peak = 0;
    loop {
        if let Some(now) = peak_rss_kib(pid) {
            peak = peak.max(now);
        }
        if let Some(status) = child.try_wait()? {
            return Ok((status, peak));
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let pid = std::process::id();
        let now = rss_kib(pid).expect("VmRSS");
        let peak = peak_rss_kib(pid).expect("VmHWM");
        assert!(now > 0 && peak >= now, "{now} {peak}");
    }
}
